#!/usr/bin/env bash
# Builds docker/Dockerfile for amd64 with Debian's buildah and checks the image with podman, on a machine
# without Docker or a registry: `./lab test --image` (root; about 12 minutes; not part of the default run yet).
#   - base: debootstrap of Debian 13 imported with podman, the machine's .NET SDK layered on as SDK_IMAGE;
#   - MNIST: Debian's Fashion-MNIST served on loopback, with its own checksums (no internet for MNIST here);
#   - checks: empty token refused, uid 1000 under tini, token auth, both notebooks offline (--network none)
#     with a mounted /books, a second container loading what the first trained; prints size and cold start.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${EDGEAI_IMAGE_WORK:-$ROOT/.lab/image}
IMAGE=localhost/edgeai-lab:test
FASHION=/usr/share/datasets/fashion-mnist
say() { printf '\033[1mimage:\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1mimage: FAILED:\033[0m %s\n' "$*" >&2; exit 1; }
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); say "ok: $1"; else failed=$((failed + 1)); say "FAILED: $1"; fi; }

[[ $(id -u) -eq 0 ]] || fail "needs root (rootful buildah/podman)"
mkdir -p "$WORK"/{storage,run,tmp,books-a}
cat > "$WORK/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$WORK/storage"
runroot = "$WORK/run"
EOF
cat > "$WORK/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
image_copy_tmp_dir = "$WORK/tmp"
EOF
echo 'unqualified-search-registries = []' > "$WORK/registries.conf"
export CONTAINERS_STORAGE_CONF=$WORK/storage.conf CONTAINERS_CONF=$WORK/containers.conf
export CONTAINERS_REGISTRIES_CONF=$WORK/registries.conf TMPDIR=$WORK/tmp

if ! podman image exists localhost/edgeai-trixie:base; then
  say "debootstrap trixie (minbase)"
  mirror=$({ cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } | awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit} /^deb / && $2 ~ /debian\/?$/ {print $2; exit}')
  rm -rf "$WORK/rootfs" && debootstrap --variant=minbase trixie "$WORK/rootfs" "$mirror" > "$WORK/debootstrap.log"
  tar -C "$WORK/rootfs" -c . | podman import - localhost/edgeai-trixie:base > /dev/null && rm -rf "$WORK/rootfs"
fi
if ! podman image exists localhost/edgeai-sdk:trixie; then
  say "layering the machine's .NET SDK onto it"
  mkdir -p "$WORK/sdk" && cat > "$WORK/sdk/Containerfile" <<'EOF'
FROM localhost/edgeai-trixie:base
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libicu76 curl && rm -rf /var/lib/apt/lists/*
RUN cp -a /host-dotnet /usr/share/dotnet && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
EOF
  buildah bud --layers -v /usr/share/dotnet:/host-dotnet:ro -t localhost/edgeai-sdk:trixie "$WORK/sdk" > "$WORK/sdk.log"
fi

say "building docker/Dockerfile (log: $WORK/build.log)"
port=$((20000 + RANDOM % 20000))
(cd "$FASHION" && exec python3 -m http.server "$port" --bind 127.0.0.1 > /dev/null 2>&1) &
mirror_pid=$!
trap 'kill $mirror_pid 2>/dev/null; podman rm -f edgeai-image-a edgeai-image-b >/dev/null 2>&1 || true' EXIT
started=$(date +%s)
buildah bud --layers --format docker -f "$ROOT/docker/Dockerfile" \
  --build-arg SDK_IMAGE=localhost/edgeai-sdk:trixie --build-arg MNIST_MIRROR="http://127.0.0.1:$port/" \
  --build-arg MNIST_CHECKSUMS=tests/EdgeAi.Image.Tests/fashion-mnist.sha256 --build-arg NUGET_CERT_REVOCATION_MODE=offline \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro -t "$IMAGE" "$ROOT" > "$WORK/build.log" 2>&1 \
  || fail "build failed; see $WORK/build.log"
say "built in $(( $(date +%s) - started )) s; size $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.2f GB", $1 / 1e9}')"

check "an empty token is refused with a message" \
  '! out=$(podman run --rm "$IMAGE" 2>&1) && grep -q "JUPYTER_TOKEN is empty" <<<"$out"'
check "it runs as uid 1000" '[[ $(podman run --rm --entrypoint id "$IMAGE" -u) == 1000 ]]'

rm -rf "$WORK/books-a" && mkdir -p "$WORK/books-a" && chown 1000:1000 "$WORK/books-a"
started=$(date +%s.%N)
podman run -d --name edgeai-image-a -e JUPYTER_TOKEN=image-test-token -v "$WORK/books-a:/books" "$IMAGE" > /dev/null
for _ in $(seq 1 120); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:8888/api/status?token=image-test-token') == 200 ]] && break
  sleep 0.5
done
say "server ready $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s after the container started"
check "/api/status refuses a request without the token" '[[ $(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:8888/api/status) == 403 ]]'
check "/api/status accepts the token" '[[ $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:8888/api/status?token=image-test-token") == 200 ]]'
check "the health check passes" 'sleep 2; podman healthcheck run edgeai-image-a > /dev/null'
check "tini is PID 1 and Jupyter runs as lab" '[[ $(podman exec edgeai-image-a ps -o user=,comm= -p 1) == "lab"*"tini" ]]'
podman rm -f edgeai-image-a > /dev/null

run_notebook() {   # run_notebook NAME: executes a notebook in a container without network, /books mounted
  podman run --rm --network none -v "$WORK/books-a:/books" --entrypoint /bin/sh "$IMAGE" -c '
    mkdir -p "$HOME/.nuget/NuGet" && printf "<configuration><packageSources><clear /><add key=\"edgeai\" value=\"/opt/edgeai/feed\" /></packageSources></configuration>" > "$HOME/.nuget/NuGet/NuGet.Config"
    cd /tmp && python3 -m nbconvert --to notebook --execute "/opt/edgeai/notebooks/$0.ipynb" --output-dir /tmp/out \
      --ExecutePreprocessor.kernel_name=edgeai-csharp --ExecutePreprocessor.timeout=600 --log-level=ERROR > /tmp/log 2>&1 \
      && cat "/tmp/out/$0.ipynb"' "$1"
}
started=$(date +%s.%N)
check "mnist_training runs offline and saves to /books" 'run_notebook mnist_training | grep -q "Saved <b>mnist-mlp@v1</b> to <code>/books</code>"'
say "offline training notebook: $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s from container start"
check "a second container loads the version the first saved" 'run_notebook mnist_prediction | grep -q "mnist-mlp@v2"'

echo "image: $passed passed, $failed failed"
((failed == 0))
