#!/bin/sh
# Prints a pinned version from the one file that pins it, for scripts and the Dockerfile:
#   versions.sh edgeai | interactive | torchsharp       (run from anywhere; ROOT may name the repository)
# edgeai: Directory.Build.props; interactive: dotnet-tools.json (dotnet tool restore reads it too);
# torchsharp: Directory.Packages.props (NuGet's central versions).
set -eu
root=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
case ${1:-} in
  edgeai) version=$(sed -n 's:.*<Version>\([^<]*\)</Version>.*:\1:p' "$root/Directory.Build.props") ;;
  interactive) version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$root/dotnet-tools.json") ;;
  torchsharp) version=$(sed -n 's:.*Include="TorchSharp-cpu" Version="\([^"]*\)".*:\1:p' "$root/Directory.Packages.props") ;;
  *) echo "usage: versions.sh edgeai|interactive|torchsharp" >&2; exit 2 ;;
esac
[ -n "$version" ] || { echo "versions.sh: no $1 version found under $root" >&2; exit 1; }
echo "$version"
