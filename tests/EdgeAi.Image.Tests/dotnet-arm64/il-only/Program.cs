// il-only FOLDER [FRAMEWORK...]: rewrites every ReadyToRun assembly under FOLDER as an IL-only, platform-neutral one,
// in place; FRAMEWORK folders (the shared frameworks FOLDER's assemblies run on) are only read.
// ReadyToRun images keep their IL beside the machine code, but the runtime refuses one compiled for another
// architecture (BadImageFormatException), so the x64 SDK's assemblies cannot run on arm64 as they are. Mono.Cecil
// reads the metadata and IL and writes them without the machine code; nothing else changes. No tool does this:
// crossgen2 refuses input that is already compiled. Prints how many it rewrote and how many were IL-only already.
using System.Reflection.PortableExecutable;
using Mono.Cecil;

if (args.Length < 1 || !args.All(Directory.Exists))
{
    Console.Error.WriteLine("usage: il-only FOLDER [FRAMEWORK...] (FOLDER's .NET assemblies are rewritten in place; the folders must exist)");
    return 2;
}
// Read lazily: what is never looked at (custom attributes' arguments, most of all) is written back byte for byte, and
// needs none of the assemblies it refers to. Where something must be resolved (an enum constant's type), the
// frameworks come first: FOLDER's subfolders hold older facades of the same names (.NET Framework tasks, for one).
var resolver = new DefaultAssemblyResolver();
foreach (var folder in args[1..].Append(args[0]).Concat(Directory.EnumerateDirectories(args[0], "*", SearchOption.AllDirectories)))
    resolver.AddSearchDirectory(folder);
int rewritten = 0, unchanged = 0;
foreach (var path in Directory.EnumerateFiles(args[0], "*.dll", SearchOption.AllDirectories))
{
    if (!IsReadyToRun(path)) { unchanged++; continue; }
    var bytes = File.ReadAllBytes(path);
    using (var module = ModuleDefinition.ReadModule(new MemoryStream(bytes), new ReaderParameters { ReadingMode = ReadingMode.Deferred, AssemblyResolver = resolver }))
    {
        module.Architecture = TargetArchitecture.I386;
        module.Attributes = ModuleAttributes.ILOnly;
        using var output = File.Create(path + ".il-only");
        module.Write(output);
    }
    File.Move(path + ".il-only", path, overwrite: true);
    rewritten++;
}
Console.WriteLine($"il-only: {rewritten} ReadyToRun assemblies rewritten as IL-only, {unchanged} left as they were");
return 0;

static bool IsReadyToRun(string path)
{
    using var stream = File.OpenRead(path);
    using var reader = new PEReader(stream);
    try { return reader.HasMetadata && reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0; }
    catch (BadImageFormatException) { return false; }   // not a PE file, or not .NET's: not ours to touch
}
