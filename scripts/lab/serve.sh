# Sourced by ./lab: `./lab up` and `./lab exec`.
# Needs: common.sh (ROOT, STATE, PYTHON, KERNEL_NAME, FEED, EDGEAI_BOOKS, EDGEAI_WEIGHTS_DIR, say, die, usage_error), install.sh
#   (setup), replicas.sh (up_replicas).
# Provides: cmd_up, cmd_exec.

cmd_up() {
  local port=8888 ip=127.0.0.1 replicas=1
  while (($#)); do
    case $1 in
      --port) (($# > 1)) || usage_error "--port needs a number"; port=$2; shift 2 ;;
      --replicas) (($# > 1)) || usage_error "--replicas needs a number"; replicas=$2; shift 2 ;;
      --ip) (($# > 1)) || usage_error "--ip needs an address"; ip=$2; shift 2 ;;
      *) usage_error "unknown option for up: $1 (see ./lab up --help)" ;;
    esac
  done
  [[ $port =~ ^[0-9]+$ && $port -ge 1 && $port -le 65535 ]] || usage_error "--port $port is not a port number (1-65535)"
  [[ $replicas =~ ^[0-9]+$ && $replicas -ge 1 && $replicas -le 8 ]] || usage_error "--replicas $replicas is not a number from 1 to 8"
  setup
  local token=${JUPYTER_TOKEN:-}
  [[ -n $token ]] || token=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(24))')
  ((replicas > 1)) && { up_replicas "$port" "$replicas" "$token"; return; }

  local extra=()
  if [[ $(id -u) -eq 0 ]]; then
    say "running as root: allowing it for this local lab (the container image runs as uid 1000 instead)"
    extra=(--allow-root)
  fi
  say "notebooks: $EDGEAI_BOOKS/notebooks, weight store: $EDGEAI_WEIGHTS_DIR (set EDGEAI_BOOKS to move both)"
  say "kernel: $KERNEL_NAME, extension feed: $FEED"
  say "open http://$ip:$port/?token=$token   (Ctrl-C stops the server and its kernels)"
  JUPYTER_TOKEN=$token "$ROOT/scripts/jupyter-server" "$EDGEAI_BOOKS" "$ip" "$port" "${extra[@]}" &
  local pid=$!
  # SIGTERM, not SIGINT: the classic server asks for confirmation on SIGINT; on SIGTERM it stops its kernels.
  trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0' INT TERM
  wait $pid
}

cmd_exec() {
  local out="$STATE/executed" notebooks=()
  while (($#)); do
    case $1 in
      --out) (($# > 1)) || usage_error "--out needs a directory"; out=$2; shift 2 ;;
      -*) usage_error "unknown option for exec: $1 (see ./lab exec --help)" ;;
      *) [[ -f $1 ]] || die "no notebook at $1"; notebooks+=("$(realpath "$1")"); shift ;;
    esac
  done
  ((${#notebooks[@]})) || usage_error "exec needs at least one notebook, e.g. ./lab exec notebooks/mnist_training.ipynb"
  setup
  mkdir -p "$out"
  local nb
  for nb in "${notebooks[@]}"; do
    say "executing $(basename "$nb")"
    (cd "$(dirname "$nb")" && "$PYTHON" -m nbconvert --to notebook --execute "$nb" --output-dir "$(realpath "$out")" \
        --ExecutePreprocessor.kernel_name="$KERNEL_NAME" --ExecutePreprocessor.timeout=900 --log-level=WARN) \
      || die "$(basename "$nb") failed (the failing cell and its error are printed above)"
  done
  # Signed with the lab's notary (the one its servers use, on the shared volume): a teacher who opens an executed
  # copy in this lab sees its charts live instead of an untrusted notebook's blank outputs.
  local executed=()
  for nb in "${notebooks[@]}"; do executed+=("$out/$(basename "$nb")"); done
  mkdir -p "$EDGEAI_BOOKS/.jupyter"
  # (The signing app passes its own data folder to the notary, so the folder is set through JUPYTER_DATA_DIR.)
  JUPYTER_DATA_DIR="$EDGEAI_BOOKS/.jupyter" "$PYTHON" -m nbformat.sign --log-level=WARN "${executed[@]}" > /dev/null
  say "executed copies in $out, signed as trusted for this lab"
}
