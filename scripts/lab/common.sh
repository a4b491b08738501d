# Sourced by ./lab first: where things are, the lab's environment, how it speaks, and its locks.
# Needs: bash 4.1+, util-linux (flock), scripts/versions.sh and scripts/kernelspec.sh.
# Provides: ROOT, STATE, FEED, JUPYTER_HOME, PYTHON, INTERACTIVE_VERSION, KERNEL_NAME; the exported environment of
#   the lab's servers and builds; say, die, usage_error, lock_holder, with_lock, prepare_books.
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
# No reusable MSBuild nodes: a node outlives the command that started it by minutes, holding memory on a small
# machine and whatever it inherited; each of the lab's builds is one command's.
export MSBUILDDISABLENODEREUSE=1
export JUPYTER_PATH="$JUPYTER_HOME${JUPYTER_PATH:+:$JUPYTER_PATH}"
# The shared volume, the report's /books: students' notebooks in books/notebooks, the weight store in books/models.
export EDGEAI_BOOKS="${EDGEAI_BOOKS:-$ROOT/books}"
export EDGEAI_WEIGHTS_DIR="${EDGEAI_WEIGHTS_DIR:-$EDGEAI_BOOKS/models}"
# Where the lab's servers serve plotly.js from, for the charts (scripts/jupyter-server).
export EDGEAI_STATIC_DIR="${EDGEAI_STATIC_DIR:-$STATE/static}"

# The samples in the shared notebook folder (scripts/seed-notebooks: never over a student's file), and a word
# about models left at the top of the volume by the layout before models/.
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
# A command line ./lab cannot run (an unknown command or option, a missing or malformed value): exit 2, as ./lab
# alone does, so that a caller tells it apart from a step that failed (die: 1).
usage_error() { printf '\033[1mlab: error:\033[0m %s\n' "$*" >&2; exit 2; }

# Who holds a lock on FILE (flock or fcntl, as the kernel lists them in /proc/locks): "PID N (name)"; fails when
# nobody does. /proc/locks names the process that took the lock, which for a flock lock is not always the one that
# holds it: with_lock's `flock FD` exits at once, and the lock stays with the shell's open descriptor. So the holder
# is the process with that descriptor open, whose fdinfo lists the lock (the one among them whose parent is not,
# as its subshells inherit it); /proc/locks' process where no fdinfo can be read (another user's, such as apt's).
lock_holder() {
  local dev inode id pid pids=() p ppid
  dev=$(stat -L -c %d "$1" 2>/dev/null) && inode=$(stat -L -c %i "$1") || return 1
  # /proc/locks names a file as MAJOR:MINOR:INODE, in hex for the device; waiting requests ("->") hold nothing.
  id=$(printf '%02x:%02x:%s' $(( (dev >> 8) & 0xfff )) $(( (dev & 0xff) | ((dev >> 12) & 0xfff00) )) "$inode")
  pid=$(awk -v id="$id" '$2 != "->" && $6 == id { print $5; exit }' /proc/locks 2>/dev/null)
  [[ -n $pid ]] || return 1
  # Only granted locks appear in fdinfo, as "lock:\tN: FLOCK  ADVISORY  WRITE PID ID START END".
  mapfile -t pids < <(grep -s -l -E "^lock:.* $id " /proc/[0-9]*/fdinfo/* 2>/dev/null | cut -d/ -f3 | sort -un)
  for p in "${pids[@]}"; do
    ppid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    [[ -n $ppid && " ${pids[*]} " != *" $ppid "* ]] && { pid=$p; break; }
  done
  if [[ -r /proc/$pid/comm ]]; then echo "PID $pid ($(< "/proc/$pid/comm"))"
  else echo "PID $pid (no longer running: a program it started holds it)"; fi
}

# with_lock FILE WHAT COMMAND...: runs COMMAND (a function of the lab, or a program) holding an exclusive lock on
# FILE. A wait for it says what it waits for and who holds it, and gives up after EDGEAI_LOCK_TIMEOUT seconds
# (default 600). The lock is this shell's alone: the redirection on the call below makes bash keep the lock's
# descriptor aside, close-on-exec, while COMMAND runs, so no program started inside (a dotnet build whose MSBuild
# node or compiler server outlives the lab) inherits it and keeps the next ./lab command waiting.
with_lock() {
  local file=$1 what=$2 fd timeout=${EDGEAI_LOCK_TIMEOUT:-600} holder
  shift 2
  exec {fd}>"$file"
  if ! flock -n "$fd"; then
    holder=$(lock_holder "$file") || holder="another process"
    say "waiting for $what ($file), held by $holder; giving up after $timeout s (EDGEAI_LOCK_TIMEOUT)"
    flock -w "$timeout" "$fd" || die "gave up after $timeout s waiting for $what ($file), held by $holder"
  fi
  "$@" {fd}>&-
  exec {fd}>&-
}
