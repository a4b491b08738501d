#!/bin/sh
# The core's CLI (train, eval, predict, list), e.g. for the training Job. A self-contained build (an image without
# .NET, as the arm64 stand-in) carries its runtime and runs as its own executable; otherwise the image's dotnet runs it.
if [ -e /opt/edgeai/cli/libcoreclr.so ]; then exec /opt/edgeai/cli/edgeai "$@"; fi
exec dotnet /opt/edgeai/cli/edgeai.dll "$@"
