# Sourced by ./lab: where things are, and how the lab speaks.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE="$ROOT/.lab"                      # everything the lab generates; git ignores it
FEED="$STATE/feed"                      # local NuGet feed with EdgeAi.Core and EdgeAi.Interactive
JUPYTER_HOME="$STATE/jupyter"           # our kernelspec lives here, apart from the user's kernels
PYTHON=/usr/bin/python3                 # Debian's, with Jupyter; a pyenv shim on PATH may lack it
INTERACTIVE_VERSION=$("$ROOT/scripts/versions.sh" interactive)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1
export JUPYTER_PATH="$JUPYTER_HOME${JUPYTER_PATH:+:$JUPYTER_PATH}"
export EDGEAI_WEIGHTS_DIR="${EDGEAI_WEIGHTS_DIR:-$ROOT/books}"

say() { printf '\033[1mlab:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1mlab: error:\033[0m %s\n' "$*" >&2; exit 1; }
