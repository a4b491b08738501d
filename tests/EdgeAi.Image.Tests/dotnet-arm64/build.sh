# Sourced by arm64.sh: stand-ins for Microsoft's arm64 .NET images, whose /usr/share/dotnet the Dockerfile copies
# (no registry here): localhost/edgeai-dotnet-runtime:arm64 (the runtime and ASP.NET Core) and
# localhost/edgeai-dotnet-sdk:arm64 (the same plus the SDK, on the arm64 trixie base: the Dockerfile's SDK stage runs
# a shell in it). Made the way Microsoft's own tarballs are laid out, from
#   - NuGet's linux-arm64 runtime packs (Microsoft.NETCore.App, Microsoft.AspNetCore.App) and host pack (apphost),
#     at this machine's runtime version, so that they pair with this machine's SDK as Microsoft's images pair;
#   - this machine's SDK, made IL-only (il-only/: the runtime refuses x64's ReadyToRun images on arm64), its five
#     apphosts replaced by NuGet's arm64 apphost bound to the same DLLs (as the SDK binds them); on arm64 it then
#     runs JIT-compiled: slower than Microsoft's arm64 SDK, which is compiled ahead for arm64, same behaviour;
#   - `dotnet` itself, compiled here from dotnet.c (no reachable package has an arm64 one; dotnet.c says why).
build_dotnet_arm64() {
  local base=$1 runtime sdk aspnet work tree container made_by image
  # Made again when this recipe changes: its hash is a label of both images.
  made_by=$(cat "$HERE"/dotnet-arm64/{build.sh,dotnet.c,il-only/Program.cs,il-only/il-only.csproj} | sha256sum | cut -c1-16)
  for image in localhost/edgeai-dotnet-sdk:arm64 localhost/edgeai-dotnet-runtime:arm64; do
    [[ $(podman image inspect --format '{{index .Labels "edgeai.made-by"}}' "$image" 2>/dev/null) == "$made_by" ]] || break
    [[ $image == *runtime* ]] && return 0
  done
  runtime=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" {v = $2} END {print v}')
  aspnet=$(dotnet --list-runtimes | awk '$1 == "Microsoft.AspNetCore.App" {v = $2} END {print v}')
  sdk=$(dotnet --version)
  say "arm64 .NET stand-in: runtime $runtime, ASP.NET Core $aspnet (NuGet's linux-arm64 packs), SDK $sdk (this machine's)"
  command -v aarch64-linux-gnu-gcc > /dev/null || fail "aarch64-linux-gnu-gcc is missing (apt-get install gcc-aarch64-linux-gnu)"
  work=$CONTAINERS_DIR/dotnet-arm64 && rm -rf "$work" && mkdir -p "$work/packs"
  cat > "$work/packs/packs.csproj" <<PROJECT
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Microsoft.NETCore.App.Runtime.linux-arm64" Version="[$runtime]" />
    <PackageDownload Include="Microsoft.NETCore.App.Host.linux-arm64" Version="[$runtime]" />
    <PackageDownload Include="Microsoft.AspNetCore.App.Runtime.linux-arm64" Version="[$aspnet]" />
  </ItemGroup>
</Project>
PROJECT
  dotnet restore "$work/packs" --packages "$work/nuget" -v quiet > "$work/restore.log" 2>&1 \
    || { cat "$work/restore.log" >&2; fail "NuGet's linux-arm64 packs for .NET $runtime could not be restored"; }
  local runtime_pack=$work/nuget/microsoft.netcore.app.runtime.linux-arm64/$runtime/runtimes/linux-arm64
  local host_pack=$work/nuget/microsoft.netcore.app.host.linux-arm64/$runtime
  local aspnet_pack=$work/nuget/microsoft.aspnetcore.app.runtime.linux-arm64/$aspnet/runtimes/linux-arm64

  tree=$work/dotnet
  mkdir -p "$tree/host/fxr/$runtime" "$tree/shared/Microsoft.NETCore.App/$runtime" "$tree/shared/Microsoft.AspNetCore.App/$aspnet" \
           "$tree/packs/Microsoft.NETCore.App.Host.linux-arm64/$runtime"
  aarch64-linux-gnu-gcc -O2 -Wall -Werror -o "$tree/dotnet" "$HERE/dotnet-arm64/dotnet.c" -ldl || fail "dotnet.c did not compile"
  cp "$runtime_pack/native/libhostfxr.so" "$tree/host/fxr/$runtime/"
  cp "$runtime_pack"/lib/net10.0/* "$runtime_pack"/native/* "$tree/shared/Microsoft.NETCore.App/$runtime/"
  rm "$tree/shared/Microsoft.NETCore.App/$runtime/libhostfxr.so"
  cp "$aspnet_pack"/lib/net10.0/* "$tree/shared/Microsoft.AspNetCore.App/$aspnet/"
  cp -r "$host_pack/runtimes" "$host_pack"/*.txt "$tree/packs/Microsoft.NETCore.App.Host.linux-arm64/$runtime/"
  cp /usr/share/dotnet/LICENSE.txt /usr/share/dotnet/ThirdPartyNotices.txt "$tree/"
  container=$(buildah from scratch)
  for part in dotnet host shared LICENSE.txt ThirdPartyNotices.txt; do buildah copy -q "$container" "$tree/$part" "/usr/share/dotnet/$part" > /dev/null; done
  buildah config --arch arm64 --label edgeai.made-by="$made_by" "$container"
  buildah commit -q "$container" localhost/edgeai-dotnet-runtime:arm64 > /dev/null
  buildah rm "$container" > /dev/null

  cp -a /usr/share/dotnet/sdk /usr/share/dotnet/sdk-manifests /usr/share/dotnet/templates /usr/share/dotnet/dnx "$tree/"
  cp -a /usr/share/dotnet/packs/Microsoft.NETCore.App.Ref /usr/share/dotnet/packs/Microsoft.AspNetCore.App.Ref "$tree/packs/"
  dotnet run --project "$HERE/dotnet-arm64/il-only" -c Release -- "$tree/sdk" "$tree"/shared/*/* >&2 || fail "the SDK's assemblies could not be made IL-only"
  local apphost=$host_pack/runtimes/linux-arm64/native/apphost
  cp "$apphost" "$tree/sdk/$sdk/AppHostTemplate/apphost"
  for program in MSBuild Roslyn/bincore/csc Roslyn/bincore/vbc Roslyn/bincore/VBCSCompiler; do
    bind_apphost "$apphost" "$(basename "$program").dll" "$tree/sdk/$sdk/$program"
  done
  container=$(buildah from --arch arm64 "$base")
  buildah copy -q "$container" "$tree" /usr/share/dotnet > /dev/null
  # .NET's own dependencies, as Microsoft's SDK image has them (the SDK stage of the Dockerfile runs no .NET; a
  # check of the stand-in does).
  buildah run ${QEMU_CPU:+--env "QEMU_CPU=$QEMU_CPU"} "$container" -- sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends libicu76 > /dev/null && rm -rf /var/lib/apt/lists/*'
  buildah run ${QEMU_CPU:+--env "QEMU_CPU=$QEMU_CPU"} "$container" -- ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
  buildah config --arch arm64 --label edgeai.made-by="$made_by" "$container"
  buildah commit -q "$container" localhost/edgeai-dotnet-sdk:arm64 > /dev/null
  buildah rm "$container" > /dev/null
  rm -rf "$work"
}

# bind_apphost APPHOST DLL OUT: what the SDK's HostWriter does when it builds an app: the apphost's placeholder (the
# SHA-256 of "foobar", 64 characters) replaced by the name of the DLL to run, NUL-padded.
bind_apphost() {
  python3 - "$@" <<'PYTHON'
import sys
apphost, dll, out = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
image = open(apphost, "rb").read()
placeholder = b"c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2"
assert image.count(placeholder) == 1 and len(dll) < len(placeholder)
open(out, "wb").write(image.replace(placeholder, dll.ljust(len(placeholder), b"\0")))
PYTHON
  chmod 755 "$3"
}
