# Sourced by ./lab: `./lab bench`, the core against Debian's PyTorch at its best here, and the magics in a live
# kernel. Each prints its figures and whether its targets (docs/performance.md) are met; a missed one fails the command.
# Needs: common.sh (ROOT, PYTHON, KERNEL_NAME, say), install.sh (setup, ensure_packages).
# Provides: cmd_bench.

cmd_bench() {
  setup
  ensure_packages dataset-fashion-mnist python3-torch libopenblas0-pthread
  dotnet build "$ROOT/tests/EdgeAi.Benchmarks" -c Release -v quiet -nologo >/dev/null
  local bin store status=0
  bin="$ROOT/tests/EdgeAi.Benchmarks/bin/Release/net10.0/linux-$(dotnet --info | sed -n 's/ *RID: *linux-//p')"
  if [[ ${1:-} == --federated ]]; then   # federations against centralised training only (docs/federated.md)
    dotnet "$bin/EdgeAi.Benchmarks.dll" "$@"
    return
  fi
  dotnet "$bin/EdgeAi.Benchmarks.dll" "$@" || status=$?
  say "the same through the magics in a live kernel"
  store=$(mktemp -d)
  EDGEAI_WEIGHTS_DIR=$store EDGEAI_DATA_DIR=${EDGEAI_DATA_DIR:-/usr/share/datasets/fashion-mnist} \
    SERVER="$ROOT/scripts/jupyter-server" KERNEL="$KERNEL_NAME" NOTEBOOKS="$ROOT/notebooks" "$PYTHON" "$bin/kernel_bench.py" || status=$?
  rm -rf "$store"
  return $status
}
