#!/usr/bin/env bash
# ./lab test --arm64 --torchsharp DIR: the ML job on linux/arm64, under qemu-user-static (opt-in: about an hour the
# first time, minutes once buildah's layers are cached). DIR is a git checkout (or bare repository) of dotnet/TorchSharp
# at the pinned release; our machines cannot reach GitHub, docs/arm64.md says how to get one.
#   1. docker/Dockerfile built for linux/arm64: its native stage compiles LibTorchSharp with
#      docker/libtorchsharp/build.sh (cross, on this machine) against Debian 13's libtorch; the final stage has
#      Debian's libtorch2.6 and JupyterLab. Stand-ins: the base is a debootstrapped arm64 trixie, and Microsoft's arm64
#      .NET images are made from NuGet's linux-arm64 runtime packs and this machine's SDK (dotnet-arm64/build.sh says
#      how, and where they differ from Microsoft's).
#   2. the built library's exports against TorchSharp's imports and the packaged linux-x64 library (BackendAbiTests);
#   3. every test of EdgeAi.Core.Tests and EdgeAi.Interactive.Tests on arm64 (self-contained linux-arm64, in that
#      image) except those that run a `dotnet` host or Debian's PyTorch, or read TorchSharp's packaged x64 library
#      (traits Needs=dotnet-host, python-torch, cli-build, packaged-x64-backend), with the real-data thresholds;
#   4. `edgeai train` for 3 epochs in the arm64 container, timed against the same on amd64 in the same run;
#   5. the report's scenario across architectures through one store folder, both ways: all 10,000 labels equal,
#      probabilities within 1e-4; the amd64 image's prediction notebook loads what arm64 trained.
#   6. the kernelspec runs `dotnet` with dotnet-interactive's DLL, compiled ahead for arm64 (no x86-64 launcher).
#   7. both notebooks in the arm64 image, as the release workflow checks each platform (docker/check-image.sh): no
#      network, the training notebook in one container, the prediction notebook in another, one /books.
# Every arm64 process, the build's RUN steps included, runs under qemu's model of a Raspberry Pi 4B's CPU,
# QEMU_CPU=cortex-a72 (ARMv8.0-A), unless the caller sets QEMU_CPU (qemu-cpu.sh says why); one that dies of SIGILL
# is named with the instruction (sigill/). The containers this script runs (run_arm64) see a Pi 4B's /proc/cpuinfo.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IMAGE=localhost/edgeai-lab:arm64
AMD64_IMAGE=localhost/edgeai-lab:test
FASHION=/usr/share/datasets/fashion-mnist
OUT=$ROOT/.lab/arm64
source "$HERE/containers.sh"
source "$HERE/dotnet-arm64/build.sh"
source "$HERE/qemu-cpu.sh"
ulimit -c 0   # qemu-user writes a guest core file for a fatal signal; sigill/ reports what matters
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); say "ok: $1"; else failed=$((failed + 1)); say "FAILED: $1"; fi; }
seconds() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}'; }

torchsharp=${1:?usage: arm64.sh TORCHSHARP_SOURCE (a git checkout or bare repository of dotnet/TorchSharp)}
version=$(sed -n 's:.*Include="TorchSharp-cpu" Version="\([^"]*\)".*:\1:p' "$ROOT/Directory.Packages.props")
[[ -n $version ]] || fail "no TorchSharp-cpu version in Directory.Packages.props"
release=$(git -C "$torchsharp" show HEAD:build/BranchInfo.props 2>/dev/null | sed -n 's:.*<\(Major\|Minor\|Patch\)Version>\([0-9]*\)<.*:\2:p' | paste -sd.)
[[ $release == "$version" ]] || fail "$torchsharp is TorchSharp '${release:-?}' (build/BranchInfo.props at HEAD), the project pins $version"
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || fail "no aarch64 binfmt handler: apt-get install qemu-user-static binfmt-support, then update-binfmts --enable qemu-aarch64"
mkdir -p "$OUT"
say_qemu_cpu
sigill_preload "$OUT/sigill"
# A Pi 4B's /proc/cpuinfo in every arm64 container (qemu-cpu.sh, pi_cpuinfo: ONNX Runtime's initialiser crashes on
# the host's x86 text, which qemu-user passes through).
pi_cpuinfo "$OUT/cpuinfo" && PI_CPUINFO=$OUT/cpuinfo
trixie_base arm64

say "the amd64 image (for the scenario across architectures)"
"$HERE/build-image.sh" > /dev/null

# The image's native stage clones v$version from TORCHSHARP_GIT: serve the given source on loopback under that tag.
git clone --quiet --bare "$torchsharp" "$OUT/TorchSharp.git.tmp" && rm -rf "$OUT/TorchSharp.git" && mv "$OUT/TorchSharp.git.tmp" "$OUT/TorchSharp.git"
git -C "$OUT/TorchSharp.git" tag -f "v$version" HEAD > /dev/null
# Git's own port where it is free: the address is a build argument, and an unchanged one lets buildah reuse the
# native stage (LibTorchSharp, the longest step) from the previous run; a random port rebuilt it every time.
git_port=9418
python3 -c 'import socket; socket.socket().bind(("127.0.0.1", 9418))' 2>/dev/null \
  || git_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --export-all --base-path="$OUT" --listen=127.0.0.1 --port="$git_port" "$OUT" &
git_daemon=$!
mirror_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$FASHION" && exec python3 -m http.server "$mirror_port" --bind 127.0.0.1 > /dev/null 2>&1) &
mirror=$!
name=edgeai-arm64-$$
trap 'kill $git_daemon $mirror 2>/dev/null || true; podman rm -f -t 2 "$name" > /dev/null 2>&1 || true' EXIT

# The stages BuildKit runs on the build machine (FROM --platform=$BUILDPLATFORM: the .NET build, MNIST, the cross
# compiler) must run natively here too, but Debian 12's buildah 1.28 looks their bases up for the target platform.
# It is given this machine's amd64 bases labelled arm64: their programs still run natively, as under BuildKit.
# They get ca-certificates here: the build mounts this machine's CA bundle over the file the package would write.
as_build_platform() {
  local container
  podman image exists "$1-as-build" && return 0
  container=$(buildah from "$1")
  buildah run "$container" -- sh -c 'export DEBIAN_FRONTEND=noninteractive; dpkg -s ca-certificates > /dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ca-certificates > /dev/null; }'
  buildah config --arch arm64 "$container" && buildah commit -q "$container" "$1-as-build" > /dev/null
  buildah rm "$container" > /dev/null
}
as_build_platform localhost/edgeai-dotnet-sdk:amd64
as_build_platform localhost/edgeai-trixie-slim:amd64
# The arm64 base needs ca-certificates before the build for the same reason (under qemu, about a minute).
with_ca_certificates localhost/edgeai-trixie-slim:arm64
build_dotnet_arm64 localhost/edgeai-trixie-slim:arm64-ca

say "building docker/Dockerfile for linux/arm64 under qemu (log: $CONTAINERS_DIR/arm64-build.log)"
started=$(date +%s)
buildah bud --layers --format docker --platform linux/arm64 -f "$ROOT/docker/Dockerfile" \
  --build-arg BUILD_SDK_IMAGE=localhost/edgeai-dotnet-sdk:amd64-as-build --build-arg TRIXIE_IMAGE=localhost/edgeai-trixie-slim:amd64-as-build \
  --build-arg DEBIAN_IMAGE=localhost/edgeai-trixie-slim:arm64-ca \
  --build-arg DOTNET_SDK_IMAGE=localhost/edgeai-dotnet-sdk:arm64 --build-arg DOTNET_RUNTIME_IMAGE=localhost/edgeai-dotnet-runtime:arm64 \
  --build-arg TORCHSHARP_GIT="git://127.0.0.1:$git_port/TorchSharp.git" \
  --build-arg MNIST_MIRROR="http://127.0.0.1:$mirror_port/" --build-arg MNIST_CHECKSUMS=tests/EdgeAi.Image.Tests/fashion-mnist.sha256 \
  --build-arg NUGET_CERT_REVOCATION_MODE=offline --build-arg QEMU_CPU="$QEMU_CPU" -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  -t "$IMAGE" "$ROOT" > "$CONTAINERS_DIR/arm64-build.log" 2>&1 \
  || { tail -n 30 "$CONTAINERS_DIR/arm64-build.log" >&2; fail "arm64 build failed; see $CONTAINERS_DIR/arm64-build.log"; }
kill $git_daemon $mirror 2>/dev/null || true
image_size=$(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.2f GB", $1 / 1e9}')
say "arm64 image built in $(( $(date +%s) - started )) s, $image_size"
mapfile -t qemu_cpu < <(qemu_cpu_args)
run_arm64() { podman run --rm --arch arm64 "${qemu_cpu[@]}" --user 1000:1000 -e HOME=/tmp -e DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$@"; }
check "the image is arm64 and its processes are aarch64" \
  '[[ $(podman image inspect "$IMAGE" --format "{{.Architecture}}") == arm64 && $(run_arm64 --entrypoint uname "$IMAGE" -m) == aarch64 ]]'

# The library the native stage built, kept under .lab keyed by the versions it was built from.
libtorch=$(run_arm64 --entrypoint dpkg-query "$IMAGE" -W -f='${Version}' libtorch2.6)
native=$OUT/native/torchsharp-$version-libtorch-$libtorch
mkdir -p "$native"
podman create --name "$name" "$IMAGE" > /dev/null
podman cp "$name:/opt/edgeai/native/libLibTorchSharp.so" "$native/"
rm -rf "$OUT/interactive" "$OUT/kernel.json"
podman cp "$name:/opt/edgeai/interactive" "$OUT/interactive"
podman cp "$name:/opt/edgeai/jupyter/kernels/$("$ROOT/scripts/kernelspec.sh" name)/kernel.json" "$OUT/kernel.json"
podman rm "$name" > /dev/null
# A PE file's machine (at e_lfanew + 4): crossgen2 writes arm64's (0xAA64) XOR Linux's 0x7B79; IL-only files say i386.
pe_machine() { od -An -tx2 -j$(( $(od -An -tu4 -j60 -N4 "$1") + 4 )) -N2 "$1" | tr -d ' '; }
check "the kernelspec runs dotnet with dotnet-interactive's DLL (the tool's own launcher is x86-64), compiled ahead for arm64" \
  'grep -q "\"dotnet\", \"/opt/edgeai/interactive/Microsoft.DotNet.Interactive.App.dll\"" "$OUT/kernel.json" \
   && (for dll in "$OUT"/interactive/*.dll; do [[ $(pe_machine "$dll") == d11d ]] || { say "  not compiled for arm64: $dll"; exit 1; }; done)'
# The release's own check, on arm64: dotnet-interactive, the SDK's restore and both notebooks (early: the one check
# nothing else here covers, and at about 25 minutes under qemu the longest).
started=$(date +%s.%N)
check "both notebooks in the arm64 image, offline: trained in one container, loaded and used in another (docker/check-image.sh)" \
  'CONTAINER_ENGINE=podman EDGEAI_SIGILL_PRELOAD="$SIGILL_PRELOAD" "$ROOT/docker/check-image.sh" "$IMAGE" "$OUT/check" > "$OUT/check.log" 2>&1 \
   || { grep -E "^check-image|^  cell" "$OUT/check.log" >&2; sigill_explain "$OUT/check.log"; false; }'
notebooks_seconds=$(seconds "$started")
grep -E "^  (user|mnist)" "$OUT/check.log" >&2 || true

say "LibTorchSharp for arm64 against libtorch $libtorch: $(du -k "$native/libLibTorchSharp.so" | cut -f1) KiB, in $native"
abi_log=$OUT/abi.log
check "the built LibTorchSharp exports every function TorchSharp $version calls" \
  'EDGEAI_BUILT_BACKEND="$native/libLibTorchSharp.so" "$ROOT/tests/EdgeAi.Core.Tests/bin/Release/net10.0/linux-x64/EdgeAi.Core.Tests" \
     -class EdgeAi.Core.Tests.Native.BackendAbiTests -showLiveOutput -noColor -noLogo > "$abi_log" 2>&1'
say "  $(grep -o 'TorchSharp [0-9.]* imports.*' "$abi_log" || tail -n 5 "$abi_log")"

# The tests read Fashion-MNIST, npm's digits and the repository at the paths they have here.
for project in EdgeAi.Core.Tests EdgeAi.Interactive.Tests; do
  out=$OUT/$project
  say "publishing $project self-contained for linux-arm64"
  dotnet publish "$ROOT/tests/$project" -c Release -r linux-arm64 --self-contained -o "$out" -v quiet -nologo > "$CONTAINERS_DIR/arm64-publish.log" 2>&1 \
    || { tail -n 20 "$CONTAINERS_DIR/arm64-publish.log" >&2; fail "publishing $project for linux-arm64 failed"; }
  say "running $project on arm64 (qemu)"
  log=$OUT/$project.log
  # W^X off: under qemu-user, .NET's double-mapped code pages made Roslyn's MEF composition fail with a
  # NullReferenceException (the same publish passes on x64 and with this switch); an emulator workaround.
  # The tests' own settings, not the image's: no EDGEAI_DATA_DIR (the locator's tests pick their folders), a
  # store in /tmp, and the report file out of the read-only repository.
  if run_arm64 -e DOTNET_EnableWriteXorExecute=0 -e EDGEAI_WEIGHTS_DIR=/tmp/books --unsetenv EDGEAI_DATA_DIR -e EDGEAI_TEST_REPORT=/tmp/test-report.txt \
       -v "$ROOT:$ROOT:ro" -v "$FASHION:$FASHION:ro" --entrypoint "$out/$project" "$IMAGE" \
       -trait- "Needs=dotnet-host" -trait- "Needs=python-torch" -trait- "Needs=cli-build" -trait- "Needs=packaged-x64-backend" -noColor > "$log" 2>&1; then
    passed=$((passed + 1)); say "ok: $project on arm64: $(grep -o 'Total: [0-9]*, Errors: [0-9]*, Failed: [0-9]*, Skipped: [0-9]*' "$log")"
  else
    failed=$((failed + 1)); say "FAILED: $project on arm64 (log: $log)"; grep '\[FAIL\]' "$log" >&2 || tail -n 20 "$log" >&2
    sigill_explain "$log" || true
  fi
  grep -h '\[OUTPUT\].*accuracy' "$log" | sed 's/^ */  /' >&2 || true
done

# The report's scenario: one store, trained on one architecture, loaded and used on the other; the same seed on both.
books=$OUT/books && rm -rf "$books" && mkdir -p "$books" && chown 1000:1000 "$books"
edgeai_amd64() { podman run --rm --user 1000:1000 -e HOME=/tmp -v "$books:/books" "$AMD64_IMAGE" edgeai "$@"; }
edgeai_arm64() { run_arm64 -e DOTNET_EnableWriteXorExecute=0 -v "$books:/books" "$IMAGE" edgeai "$@"; }
started=$(date +%s.%N); edgeai_amd64 train --epochs 3 --seed 7 --name amd64 > "$OUT/train-amd64.log" 2>&1 || { cat "$OUT/train-amd64.log" >&2; fail "edgeai train on amd64 failed"; }
amd64_seconds=$(seconds "$started")
started=$(date +%s.%N)
check "edgeai train, 3 epochs, in the arm64 image, writes a version to the shared /books" \
  'edgeai_arm64 train --epochs 3 --seed 7 --name arm64 > "$OUT/train-arm64.log" 2>&1 && grep -q "saved arm64@v1" "$OUT/train-arm64.log" \
   || { sigill_explain "$OUT/train-arm64.log"; false; }'
arm64_seconds=$(seconds "$started")
say "  amd64: $(grep saved "$OUT/train-amd64.log")  ($amd64_seconds s from podman run)"
say "  arm64: $(grep saved "$OUT/train-arm64.log" || tail -n 3 "$OUT/train-arm64.log")  ($arm64_seconds s from podman run, under qemu)"
say "  arm64 under qemu / amd64, same run: $(awk -v a="$arm64_seconds" -v b="$amd64_seconds" 'BEGIN {printf "%.1f", a / b}')x"
for model in amd64 arm64; do
  edgeai_amd64 predict "$model" --all --csv > "$OUT/$model-on-amd64.csv"
  edgeai_arm64 predict "$model" --all --csv > "$OUT/$model-on-arm64.csv"
done
check "both ways across architectures: the same 10,000 labels, probabilities within 1e-4" \
  'python3 "$HERE/compare_predictions.py" "$OUT" "$books/models" | tee "$OUT/compare.log" >&2'

# The report's second notebook on the other architecture: the amd64 image's prediction notebook, offline, loads
# the latest mnist-mlp, which arm64 trains here.
edgeai_arm64 train --epochs 1 --seed 3 > "$OUT/train-arm64-latest.log" 2>&1 || { cat "$OUT/train-arm64-latest.log" >&2; fail "edgeai train mnist-mlp on arm64 failed"; }
mkdir -p "$OUT/notebooks" && chown 1000:1000 "$OUT/notebooks"
check "the amd64 image's prediction notebook loads and uses the version arm64 trained" \
  'podman run --rm --network none --user 1000:1000 -e HOME=/tmp -v "$books:/books" -v "$OUT/notebooks:/out" -w /tmp "$AMD64_IMAGE" \
     python3 -m nbconvert --to notebook --execute /opt/edgeai/notebooks/mnist_prediction.ipynb --output-dir /out \
     --ExecutePreprocessor.timeout=600 --log-level=ERROR > "$OUT/notebook.log" 2>&1 \
   && grep -q "mnist-mlp@v1" "$OUT/notebooks/mnist_prediction.ipynb" \
   && grep -q "SHA-256 $(sed -n "s/.*\"weightsSha256\": *\"\([0-9a-f]\{16\}\).*/\1/p" "$books/models/mnist-mlp/v000001/manifest.json")" "$OUT/notebooks/mnist_prediction.ipynb"'

cat > "$OUT/figures.txt" <<FIGURES
arm64 under qemu-user as QEMU_CPU=$QEMU_CPU
libLibTorchSharp.so (linux-arm64, libtorch $libtorch): $(du -k "$native/libLibTorchSharp.so" | cut -f1) KiB
arm64 image: $image_size (amd64 image: $(podman image inspect "$AMD64_IMAGE" --format '{{.Size}}' | awk '{printf "%.2f GB", $1 / 1e9}'))
edgeai train, 3 epochs, batch 32, 60k Fashion-MNIST: amd64 $amd64_seconds s, arm64 under qemu $arm64_seconds s (same run)
both notebooks in the arm64 image under qemu (docker/check-image.sh): $notebooks_seconds s
FIGURES
sed 's/^/  /' "$OUT/figures.txt" >&2
echo "arm64: $passed passed, $failed failed"
((failed == 0))
