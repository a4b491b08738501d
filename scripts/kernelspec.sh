#!/bin/sh
# Our kernelspec, written from its one template (kernel/kernelspec/kernel.json) for ./lab and the image:
#   kernelspec.sh KERNELS LAUNCHER FEED COMMAND...   writes KERNELS/NAME/kernel.json
#   kernelspec.sh name                               prints NAME, for whatever starts or names our kernel
# LAUNCHER is kernel/kernelspec/edgeai-kernel where it is installed, FEED the NuGet folder with EdgeAi.Interactive,
# COMMAND what runs dotnet-interactive (`dotnet .../Microsoft.DotNet.Interactive.App.dll`, or the tool's apphost).
# The name: Polyglot Notebooks (VS Code) opens an .ipynb as a .NET notebook only when its kernelspec name starts with
# `.net-`; the `-edgeai` keeps ours apart from dotnet-interactive's own `.net-csharp`, which a user may have installed
# (`dotnet interactive jupyter install`) without our launcher's fixes.
set -eu
name=.net-csharp-edgeai
if [ "${1:-}" = name ]; then
  echo "$name"
  exit 0
fi
[ $# -ge 4 ] || { echo "usage: kernelspec.sh KERNELS LAUNCHER FEED COMMAND... | kernelspec.sh name" >&2; exit 2; }
dir=$1/$name launcher=$2 feed=$3
shift 3
for value in "$launcher" "$feed" "$@"; do
  case $value in *'"'* | *'|'* | *'\'*) echo "kernelspec.sh: '$value' has a character a kernelspec path cannot hold here (\" | \\)" >&2; exit 2 ;; esac
done
command=$(printf '"%s", ' "$@")
mkdir -p "$dir"
sed -e "s|@LAUNCHER@|$launcher|" -e "s|\"@INTERACTIVE@\"|${command%, }|" -e "s|@FEED@|$feed|" \
  "$(dirname "$0")/../kernel/kernelspec/kernel.json" > "$dir/kernel.json"
