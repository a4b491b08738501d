#!/usr/bin/env bash
# docker/check-image.sh IMAGE [OUT]: runs the report's two notebooks in IMAGE the way two replicas of k8s/base would,
# on the machine at hand: uid 1000, read-only root, no capabilities, 2 GiB, no network at all, one volume at /books.
# The first container trains and saves, a second one (which never trained) loads and predicts. Exits non-zero,
# naming the step, when either notebook fails or the store is not what the first one wrote. The release workflow
# (.github/workflows/image.yml) runs it on each platform's own runner before anything is pushed: there it is the
# first time the arm64 image's .NET and dotnet-interactive run on arm64 hardware. The image tests run it here.
# OUT (default: a temporary folder) receives the executed notebooks. CONTAINER_ENGINE: docker (default) or podman.
# An arm64 image on a machine that is not arm64 runs under qemu-user (binfmt), as the model of a Raspberry Pi 4B's
# CPU, QEMU_CPU=cortex-a72 (ARMv8.0-A; qemu's default, "max", has every later extension), unless QEMU_CPU says
# otherwise; the line it prints first names the model. EDGEAI_SIGILL_PRELOAD (arm64.sh sets it): an aarch64 library
# preloaded into every process, which names the instruction when one dies of SIGILL
# (tests/EdgeAi.Image.Tests/sigill).
set -euo pipefail
image=${1:?usage: docker/check-image.sh IMAGE [OUT]}
out=${2:-$(mktemp -d)}
engine=${CONTAINER_ENGINE:-docker}
mkdir -p "$out"

fail() { echo "check-image: $*" >&2; exit 1; }
"$engine" image inspect "$image" > /dev/null 2>&1 || fail "no image $image in $engine's store"

# A named volume starts as a copy of the image's /books, owned by uid 1000, as the manifests ask of the NFS export.
books=edgeai-check-$$-$RANDOM
"$engine" volume create "$books" > /dev/null
trap '"$engine" volume rm -f "$books" > /dev/null' EXIT
# $HOME is an anonymous volume (a copy of the image's, uid 1000's), gone with the container like an emptyDir; no
# healthcheck, since nothing here serves.
pod=(--rm --network none --user 1000:1000 --read-only --cap-drop ALL --security-opt no-new-privileges --memory 2g
     --tmpfs /tmp:rw,mode=1777 -v /home/lab -v "$books:/books" --no-healthcheck)

platform=$("$engine" image inspect --format '{{.Os}}/{{.Architecture}}' "$image")
emulated=""
if [[ $platform == */arm64 && $(uname -m) != aarch64 ]]; then
  export QEMU_CPU=${QEMU_CPU:-cortex-a72}
  pod+=(-e "QEMU_CPU=$QEMU_CPU")
  emulated=", under qemu-user as QEMU_CPU=$QEMU_CPU"
  if [[ -n ${EDGEAI_SIGILL_PRELOAD:-} ]]; then
    pod+=(-v "$(dirname "$EDGEAI_SIGILL_PRELOAD"):/opt/edgeai-sigill:ro" -e "LD_PRELOAD=/opt/edgeai-sigill/$(basename "$EDGEAI_SIGILL_PRELOAD")")
  fi
fi
echo "check-image: $image, $platform, on $(uname -m)$emulated"
"$engine" run "${pod[@]}" "$image" sh -c 'echo "  user $(id -u), .NET $(dotnet --version)"' || fail ".NET does not run in the image"

# Every cell runs (--allow-errors), then the executed notebook comes back on stdout, once the kernel that shares that
# stdout is gone; what nbconvert and the kernel print goes to stderr, with the first failing cell and its message.
first_error='
import json, sys
for number, cell in enumerate(json.load(open(sys.argv[1]))["cells"], 1):
    for output in cell.get("outputs", []):
        if output["output_type"] == "error":
            first_line = ("".join(cell["source"]).strip().splitlines() or [""])[0][:70]
            message = " ".join([output["ename"], output["evalue"]]).strip()
            sys.exit(f"  cell {number}, {first_line}: {message}")'
run_notebook() {
  local started=$SECONDS
  "$engine" run "${pod[@]}" "$image" sh -c 'python3 -m nbconvert --to notebook --execute "/opt/edgeai/notebooks/$0.ipynb" \
      --allow-errors --output-dir /tmp/executed --ExecutePreprocessor.timeout=900 --log-level=ERROR >&2 \
      && cat "/tmp/executed/$0.ipynb" && python3 -c "$1" "/tmp/executed/$0.ipynb"' "$1" "$first_error" \
      > "$out/$1.ipynb" || fail "$1.ipynb failed in the container (the executed notebook: $out/$1.ipynb)"
  echo "  $1.ipynb ran in $((SECONDS - started)) s"
}

run_notebook mnist_training
"$engine" run "${pod[@]}" "$image" edgeai list | sed 's/^/  /'
latest=$("$engine" run "${pod[@]}" "$image" cat /books/models/mnist-mlp/latest) || fail "the training notebook saved no model mnist-mlp"
latest=v$((10#${latest#v}))   # the store's folder v000002 is mnist-mlp@v2 to its users
run_notebook mnist_prediction
grep -qE "mnist-mlp@$latest([^0-9]|$)" "$out/mnist_prediction.ipynb" \
  || fail "the prediction notebook did not load mnist-mlp@$latest, the version the training notebook saved last"
echo "check-image: passed (mnist-mlp@$latest trained in one container, loaded in another; notebooks in $out)"
