# Sourced by ./lab: where things are, and how the lab speaks.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE="$ROOT/.lab"                      # everything the lab generates; git ignores it
FEED="$STATE/feed"                      # local NuGet feed with EdgeAi.Core and EdgeAi.Interactive
JUPYTER_HOME="$STATE/jupyter"           # our kernelspec lives here, apart from the user's kernels
PYTHON=/usr/bin/python3                 # Debian's, with Jupyter; a pyenv shim on PATH may lack it
# Elsewhere, the Python that runs the `jupyter` on PATH (its first line: #!PYTHON or #!/usr/bin/env PYTHON).
if ! "$PYTHON" -c 'import jupyter_core' 2>/dev/null && command -v jupyter >/dev/null; then
  read -r PYTHON _ < <(sed -n '1{s/^#! *//; s/^\/usr\/bin\/env  *//; p}' "$(command -v jupyter)")
fi
INTERACTIVE_VERSION=$("$ROOT/scripts/versions.sh" interactive)
KERNEL_NAME=$("$ROOT/scripts/kernelspec.sh" name)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1
export JUPYTER_PATH="$JUPYTER_HOME${JUPYTER_PATH:+:$JUPYTER_PATH}"
# The shared volume, the report's /books: students' notebooks in books/notebooks, the weight store in books/models.
export EDGEAI_BOOKS="${EDGEAI_BOOKS:-$ROOT/books}"
export EDGEAI_WEIGHTS_DIR="${EDGEAI_WEIGHTS_DIR:-$EDGEAI_BOOKS/models}"
# Where the lab's servers serve plotly.js from, for the charts (scripts/jupyter-server).
export EDGEAI_STATIC_DIR="${EDGEAI_STATIC_DIR:-$STATE/static}"

# The samples in the shared notebook folder (scripts/seed-notebooks: never over a student's file), and a word
# about models left at the top of the volume by versions before the notebooks moved there.
prepare_books() {
  mkdir -p "$EDGEAI_BOOKS/notebooks" "$EDGEAI_WEIGHTS_DIR"
  "$ROOT/scripts/seed-notebooks" "$ROOT/notebooks" "$EDGEAI_BOOKS/notebooks" "$("$ROOT/scripts/versions.sh" edgeai)"
  local old
  for old in "$EDGEAI_BOOKS"/*/latest; do
    [[ -e $old && $(dirname "$(dirname "$old")") != "$EDGEAI_WEIGHTS_DIR" ]] || continue
    say "models of an earlier layout are in $EDGEAI_BOOKS; the store is now $EDGEAI_WEIGHTS_DIR: mv $(dirname "$old") $EDGEAI_WEIGHTS_DIR/"
  done
}

say() { printf '\033[1mlab:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1mlab: error:\033[0m %s\n' "$*" >&2; exit 1; }
