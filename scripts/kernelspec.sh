#!/bin/sh
# Writes the edgeai-csharp kernelspec from its one template, kernel/kernelspec/kernel.json, for ./lab and the image:
#   kernelspec.sh DIR LAUNCHER FEED COMMAND...
# LAUNCHER is kernel/kernelspec/edgeai-kernel where it is installed, FEED the NuGet folder with EdgeAi.Interactive,
# COMMAND what runs dotnet-interactive (`dotnet .../Microsoft.DotNet.Interactive.App.dll`, or the tool's apphost).
set -eu
dir=$1 launcher=$2 feed=$3
shift 3
for value in "$launcher" "$feed" "$@"; do
  case $value in *'"'* | *'|'* | *'\'*) echo "kernelspec.sh: '$value' has a character a kernelspec path cannot hold here (\" | \\)" >&2; exit 2 ;; esac
done
command=$(printf '"%s", ' "$@")
mkdir -p "$dir"
sed -e "s|@LAUNCHER@|$launcher|" -e "s|\"@INTERACTIVE@\"|${command%, }|" -e "s|@FEED@|$feed|" \
  "$(dirname "$0")/../kernel/kernelspec/kernel.json" > "$dir/kernel.json"
