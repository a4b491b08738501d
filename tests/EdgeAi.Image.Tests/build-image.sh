#!/usr/bin/env bash
# Builds docker/Dockerfile for amd64, the Dockerfile a user builds, with Debian's buildah on a machine that has
# no registry: the Debian base is debootstrap's trixie made like Docker Hub's slim image, Microsoft's .NET images are
# stood in for by this machine's SDK and runtimes, MNIST comes from Debian's Fashion-MNIST served on loopback with
# its own checksums. Used by the image
# tests' fixture; by hand: sudo tests/EdgeAi.Image.Tests/build-image.sh. Prints KEY=VALUE lines on stdout.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IMAGE=${EDGEAI_TEST_IMAGE:-localhost/edgeai-lab:test}
FASHION=/usr/share/datasets/fashion-mnist
source "$HERE/containers.sh"

[[ -f $FASHION/train-images-idx3-ubyte.gz ]] || fail "Debian's dataset-fashion-mnist is not installed"
trixie_base amd64
with_ca_certificates localhost/edgeai-trixie-slim:amd64
# Stand-ins for Microsoft's .NET images, whose /usr/share/dotnet the Dockerfile copies: this machine's SDK, and its
# runtimes alone. The SDK's also builds (it needs curl for MNIST and ICU, as Microsoft's SDK image has them).
if ! podman image exists localhost/edgeai-dotnet-sdk:amd64; then
  say "layering this machine's .NET SDK onto trixie"
  mkdir -p "$CONTAINERS_DIR/sdk" && cat > "$CONTAINERS_DIR/sdk/Containerfile" <<'CONTAINERFILE'
FROM localhost/edgeai-trixie-slim:amd64
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libicu76 curl && rm -rf /var/lib/apt/lists/*
RUN cp -a /host-dotnet /usr/share/dotnet && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
CONTAINERFILE
  buildah bud --layers -v /usr/share/dotnet:/host-dotnet:ro -t localhost/edgeai-dotnet-sdk:amd64 "$CONTAINERS_DIR/sdk" \
    > "$CONTAINERS_DIR/sdk.log" 2>&1 || fail "SDK stand-in failed; see $CONTAINERS_DIR/sdk.log"
fi
if ! podman image exists localhost/edgeai-dotnet-runtime:amd64; then
  container=$(buildah from scratch)
  for part in dotnet host shared LICENSE.txt ThirdPartyNotices.txt; do
    buildah copy -q "$container" "/usr/share/dotnet/$part" "/usr/share/dotnet/$part" > /dev/null
  done
  buildah config --arch amd64 "$container" && buildah commit -q "$container" localhost/edgeai-dotnet-runtime:amd64 > /dev/null
  buildah rm "$container" > /dev/null
fi

say "building docker/Dockerfile (log: $CONTAINERS_DIR/build.log)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$FASHION" && exec python3 -m http.server "$port" --bind 127.0.0.1 > /dev/null 2>&1) &
mirror_pid=$!
trap 'kill $mirror_pid 2>/dev/null || true' EXIT
started=$(date +%s)
# --format docker keeps the HEALTHCHECK (the OCI format has no field for it). The host's CA bundle is mounted
# for the build only (this network inspects TLS); it is not copied into the image.
buildah bud --layers --format docker -f "$ROOT/docker/Dockerfile" \
  --build-arg DEBIAN_IMAGE=localhost/edgeai-trixie-slim:amd64-ca --build-arg DOTNET_SDK_IMAGE=localhost/edgeai-dotnet-sdk:amd64 \
  --build-arg DOTNET_RUNTIME_IMAGE=localhost/edgeai-dotnet-runtime:amd64 --build-arg MNIST_MIRROR="http://127.0.0.1:$port/" \
  --build-arg MNIST_CHECKSUMS=tests/EdgeAi.Image.Tests/fashion-mnist.sha256 --build-arg NUGET_CERT_REVOCATION_MODE=offline \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro -t "$IMAGE" "$ROOT" > "$CONTAINERS_DIR/build.log" 2>&1 \
  || { tail -n 30 "$CONTAINERS_DIR/build.log" >&2; fail "build failed; see $CONTAINERS_DIR/build.log"; }
say "built in $(( $(date +%s) - started )) s"
echo "IMAGE=$IMAGE"
echo "BUILD_SECONDS=$(( $(date +%s) - started ))"
echo "SIZE_BYTES=$(podman image inspect "$IMAGE" --format '{{.Size}}')"
echo "CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"
echo "CONTAINERS_CONF=$CONTAINERS_CONF"
echo "CONTAINERS_REGISTRIES_CONF=$CONTAINERS_REGISTRIES_CONF"
echo "TMPDIR=$TMPDIR"
