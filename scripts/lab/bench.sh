# Sourced by ./lab: `./lab bench`, the core against Debian's PyTorch at its best here (sid's newest, in a root of its
# own made by scripts/peer-root, and the host's), and the magics in a live kernel. Each prints its figures and whether its targets (docs/performance.md) are met; a missed one fails the command.
# Needs: common.sh (ROOT, PYTHON, KERNEL_NAME, say, die, usage_error), install.sh (setup, ensure_packages).
# Provides: cmd_bench, build_benchmarks.

# Quiet when it builds; when it does not (no network for a first restore, a compile error), its errors and a message.
build_benchmarks() {
  local log
  log=$(dotnet build "$ROOT/tests/EdgeAi.Benchmarks" -c Release -v quiet -nologo 2>&1) \
    || { grep -E 'error' <<< "$log" | sort -u | head -20 >&2; die "the benchmarks (tests/EdgeAi.Benchmarks) did not build"; }
}

cmd_bench() {
  # Checked here, before the installs and builds, rather than by the benchmark program once they are done.
  local args=("$@") federated=false serve=false products=false
  while (($#)); do
    case $1 in
      --federated) federated=true; shift ;;
      --serve) serve=true; shift ;;
      --products) products=true; shift ;;
      --threads|--repetitions|--seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage_error "$1 needs a whole number from 1, not '${2:-}'"; shift 2 ;;
      --data) [[ -n ${2:-} ]] || usage_error "--data needs a directory"; shift 2 ;;
      *) usage_error "unknown option for bench: $1 (see ./lab bench --help)" ;;
    esac
  done
  set -- "${args[@]}"
  local bin store status=0 sid=()
  bin="$ROOT/tests/EdgeAi.Benchmarks/bin/Release/net10.0/linux-$(dotnet --info | sed -n 's/ *RID: *linux-//p')"
  if $serve; then   # edgeai serve under wrk against a FastAPI peer: no kernel, no training peer
    ensure_packages dataset-fashion-mnist wrk python3-torch libopenblas0-pthread python3-fastapi python3-uvicorn python3-uvloop python3-httptools
    build_benchmarks
    dotnet "$bin/EdgeAi.Benchmarks.dll" --serve --python "$PYTHON" "${args[@]/--serve/}"
    return
  fi
  if $products; then   # the step's eight products alone, at a whole batch's and a part's shapes: no data, no peer
    build_benchmarks
    dotnet "$bin/EdgeAi.Benchmarks.dll" --products
    return
  fi
  if $federated; then   # federations against centralised training, in this process: no kernel, no peer
    ensure_packages dataset-fashion-mnist
    build_benchmarks
    dotnet "$bin/EdgeAi.Benchmarks.dll" --federated "${args[@]/--federated/}"
    return
  fi
  setup
  ensure_packages dataset-fashion-mnist python3-torch libopenblas0-pthread
  # The newest PyTorch Debian has, sid's, in a root of its own under .lab (made once, a few minutes and about 2 GB;
  # reused after). Making and entering it needs root; as another user the host's PyTorch is the only peer.
  if [[ $(id -u) -eq 0 ]]; then
    ensure_packages debootstrap
    "$ROOT/scripts/peer-root" ensure "$STATE/sid-root" || die "could not make the Debian sid root for the peer (above)"
    sid=(--sid-root "$STATE/sid-root")
  else
    say "skipping the Debian sid peer (PyTorch 2.x): making and entering its root (debootstrap, chroot) needs root; run ./lab bench as root for it. The host's PyTorch is the only peer of this run"
  fi
  build_benchmarks
  dotnet "$bin/EdgeAi.Benchmarks.dll" "$@" "${sid[@]}" || status=$?
  say "the same through the magics in a live kernel"
  store=$(mktemp -d)
  EDGEAI_WEIGHTS_DIR=$store EDGEAI_DATA_DIR=${EDGEAI_DATA_DIR:-/usr/share/datasets/fashion-mnist} \
    SERVER="$ROOT/scripts/jupyter-server" KERNEL="$KERNEL_NAME" NOTEBOOKS="$ROOT/notebooks" "$PYTHON" "$bin/kernel_bench.py" || status=$?
  rm -rf "$store"
  return $status
}
