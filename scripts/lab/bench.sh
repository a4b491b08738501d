# Sourced by ./lab: `./lab bench`, the core against Debian's PyTorch, and the magics in a live kernel.

cmd_bench() {
  setup
  ensure_packages dataset-fashion-mnist python3-torch libopenblas0-pthread
  dotnet build "$ROOT/tests/EdgeAi.Benchmarks" -c Release -v quiet -nologo >/dev/null
  local bin store
  bin="$ROOT/tests/EdgeAi.Benchmarks/bin/Release/net10.0/linux-$(dotnet --info | sed -n 's/ *RID: *linux-//p')"
  OPENBLAS_NUM_THREADS=1 dotnet "$bin/EdgeAi.Benchmarks.dll" "$@"
  say "the same through the magics in a live kernel"
  store=$(mktemp -d)
  EDGEAI_WEIGHTS_DIR=$store EDGEAI_DATA_DIR=${EDGEAI_DATA_DIR:-/usr/share/datasets/fashion-mnist} "$PYTHON" "$bin/kernel_bench.py"
  rm -rf "$store"
}
