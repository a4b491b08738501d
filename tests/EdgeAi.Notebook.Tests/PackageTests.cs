using System.IO.Compression;
using System.Reflection.PortableExecutable;

namespace EdgeAi.Notebook.Tests;

/// <summary>
/// The packages that `#r "nuget: EdgeAi.Interactive"` restores, as `./lab` packed them into its feed on this amd64
/// machine (the image's build and the release workflow pack them the same way): a Raspberry Pi, or a dev container on
/// an arm64 Mac, loads them too. Every assembly must be platform-neutral IL; an x64-only one fails there with "The
/// assembly architecture is not compatible with the current process architecture" at the `#r`.
/// </summary>
public sealed class PackageTests
{
    [Fact]
    public void Every_assembly_in_the_extensions_packages_loads_on_any_architecture()
    {
        var packages = Directory.GetFiles(Path.Combine(RealData.RepositoryRoot, ".lab", "feed"), "EdgeAi.*.nupkg");
        Assert.Contains(packages, p => Path.GetFileName(p).StartsWith("EdgeAi.Core."));
        Assert.Contains(packages, p => Path.GetFileName(p).StartsWith("EdgeAi.Interactive."));
        var checkedAssemblies = 0;
        var platformSpecific = new List<string>();
        foreach (var package in packages)
        {
            using var zip = ZipFile.OpenRead(package);
            foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal)))
            {
                using var bytes = new MemoryStream();
                using (var stream = entry.Open())
                    stream.CopyTo(bytes);
                bytes.Position = 0;
                using var reader = new PEReader(bytes);
                var headers = reader.PEHeaders;
                var flags = headers.CorHeader!.Flags;
                // What the C# compiler writes for AnyCPU: a 32-bit PE header, machine i386, IL only, 32-bit not required.
                if (headers.PEHeader!.Magic != PEMagic.PE32 || headers.CoffHeader.Machine != Machine.I386
                    || !flags.HasFlag(CorFlags.ILOnly) || flags.HasFlag(CorFlags.Requires32Bit))
                    platformSpecific.Add($"{Path.GetFileName(package)}: {entry.FullName} ({headers.CoffHeader.Machine}, {headers.PEHeader.Magic}, {flags})");
                checkedAssemblies++;
            }
        }
        Assert.True(checkedAssemblies >= 3, $"only {checkedAssemblies} assemblies in {string.Join(", ", packages)}");
        Assert.True(platformSpecific.Count == 0, "assemblies that load on one architecture only:\n" + string.Join('\n', platformSpecific));
    }

    [Fact]
    public void Each_package_declares_the_MIT_licence_of_the_repository()
    {
        // nuget.org shows a package's licence from its nuspec; LICENSE is the text that expression stands for.
        Assert.StartsWith("MIT License", File.ReadAllText(Path.Combine(RealData.RepositoryRoot, "LICENSE")));
        var packages = Directory.GetFiles(Path.Combine(RealData.RepositoryRoot, ".lab", "feed"), "EdgeAi.*.nupkg");
        Assert.Equal(2, packages.Length);
        foreach (var package in packages)
        {
            using var zip = ZipFile.OpenRead(package);
            var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            using var reader = new StreamReader(nuspec.Open());
            var license = System.Xml.Linq.XDocument.Parse(reader.ReadToEnd()).Descendants().Single(e => e.Name.LocalName == "license");
            Assert.Equal("expression", (string?)license.Attribute("type"));
            Assert.Equal("MIT", license.Value);
        }
    }
}
