#!/bin/sh
# Builds TorchSharp's native backend, libLibTorchSharp.so, for linux-arm64 (or the machine's own architecture)
# against Debian's libtorch, because TorchSharp ships none for linux-arm64:
#
#   build.sh TORCHSHARP_SOURCE OUT_DIR [ARCH]     ARCH: arm64 (default) or amd64
#
# TORCHSHARP_SOURCE is a checkout of dotnet/TorchSharp at the pinned release (its src/Native is compiled).
# It runs on Debian 13 (trixie) as root: the image's build stage, and ./lab test --arm64 in a trixie root.
# Cross-compiling from amd64 with g++-aarch64-linux-gnu takes minutes; compiling under qemu would take hours.
#
# Why Debian 13's libtorch 2.6 and not 2.10, which the pinned TorchSharp (0.107) was released against: 2.10 for arm64 is
# on PyPI only (unreachable from our machines, and a wheel brings its own libgomp and OpenBLAS); forky's 2.14
# needs C++20 and has removed the named-tensor API that THSTensor.cpp calls. 2.6 compiles with two
# version-guarded changes (libtorch-2.6.patch) and exports every THS* symbol that the pinned TorchSharp imports
# (tests/EdgeAi.Image.Tests/arm64.sh checks the exports against the x64 library of the NuGet package).
# CMake is not used: TorchSharp's CMakeLists finds Torch through Caffe2's config, which probes the build
# machine (Python, CUDA) rather than the target; the sources and flags below are those of that CMakeLists.
set -eu
source_dir=$(cd "${1:?usage: build.sh TORCHSHARP_SOURCE OUT_DIR [ARCH]}" && pwd)
out=${2:?usage: build.sh TORCHSHARP_SOURCE OUT_DIR [ARCH]}
arch=${3:-arm64}
here=$(cd "$(dirname "$0")" && pwd)
case $arch in
  arm64) triplet=aarch64-linux-gnu ;;
  amd64) triplet=x86_64-linux-gnu ;;
  *) echo "build.sh: ARCH '$arch' is not supported; use arm64 or amd64" >&2; exit 2 ;;
esac
[ -d "$source_dir/src/Native/LibTorchSharp" ] || { echo "build.sh: $source_dir has no src/Native/LibTorchSharp (a dotnet/TorchSharp checkout is expected)" >&2; exit 2; }

if [ "$(dpkg --print-architecture)" = "$arch" ]; then compiler=g++; c_compiler=gcc; tools=g++
else compiler=$triplet-g++; c_compiler=$triplet-gcc; tools="g++-$triplet"; dpkg --add-architecture "$arch"; fi
if ! command -v "$compiler" > /dev/null || ! command -v patch > /dev/null || ! dpkg -s "libtorch-dev:$arch" > /dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $tools patch "libtorch-dev:$arch" > /dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$source_dir/src/Native" "$work/Native"
(cd "$work/Native" && patch -s -p1 < "$here/libtorch-2.6.patch")
mkdir "$work/obj"
flags="-O2 -fPIC -fvisibility=hidden -fstack-protector-strong -D_GLIBCXX_USE_CXX11_ABI=1 -D__LINUX__ -D_NO_ASYNCRTIMP -D_NO_PPLXIMP -DNDEBUG
       -I$work/Native -I/usr/include/torch/csrc/api/include -w"
jobs=$(nproc)
echo "build.sh: compiling LibTorchSharp for $arch with $compiler ($jobs at a time)"
# shellcheck disable=SC2086
find "$work/Native/LibTorchSharp" -name '*.cpp' | xargs -P "$jobs" -I{} sh -c \
  "$compiler -std=c++17 $(echo $flags) -c {} -o $work/obj/\$(basename {}).o || exit 255"
# shellcheck disable=SC2086
$c_compiler $(echo $flags) -c "$work/Native/LibTorchSharp/crc32c.c" -o "$work/obj/crc32c.c.o"
mkdir -p "$out"
# -Bsymbolic as upstream: a symbol resolves inside the library first. libtorch comes from the system's
# library path (Debian's libtorch2.6 package), matched by SONAME.
$compiler -shared -o "$out/libLibTorchSharp.so" "$work"/obj/*.o -Wl,-soname,libLibTorchSharp.so \
  -Wl,-Bsymbolic -Wl,-Bsymbolic-functions -Wl,--build-id=sha1 -Wl,--as-needed \
  -L"/usr/lib/$triplet" -ltorch -ltorch_cpu -lc10
"$triplet-strip" --strip-unneeded "$out/libLibTorchSharp.so" 2>/dev/null || strip --strip-unneeded "$out/libLibTorchSharp.so"
echo "build.sh: $out/libLibTorchSharp.so ($(du -k "$out/libLibTorchSharp.so" | cut -f1) KiB) against libtorch $(dpkg-query -W -f='${Version}' "libtorch-dev:$arch")"
