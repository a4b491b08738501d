# Sourced by the image test scripts: rootful buildah/podman on a machine without Docker or a registry.
# Debian 12's buildah 1.28 and podman 4.3 need runc (crun refuses this machine's cgroup layout), cgroupfs,
# the host's network and explicit ulimits. Storage and settings live in one folder of their own, kept across
# clones like a Docker layer cache (EDGEAI_CONTAINERS_DIR, default /var/cache/edgeai/containers).
CONTAINERS_DIR=${EDGEAI_CONTAINERS_DIR:-/var/cache/edgeai/containers}
say() { printf '\033[1mimage:\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1mimage: FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (rootful buildah/podman)"
mkdir -p "$CONTAINERS_DIR"/{storage,run,tmp}
cat > "$CONTAINERS_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$CONTAINERS_DIR/storage"
runroot = "$CONTAINERS_DIR/run"
CONF
cat > "$CONTAINERS_DIR/containers.conf" <<CONF
[containers]
netns = "host"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
image_copy_tmp_dir = "$CONTAINERS_DIR/tmp"
[network]
# netavark with aardvark-dns: compose's service names resolve (Debian's default pick, CNI, has no DNS plugin).
network_backend = "netavark"
CONF
echo 'unqualified-search-registries = []' > "$CONTAINERS_DIR/registries.conf"
export CONTAINERS_STORAGE_CONF=$CONTAINERS_DIR/storage.conf CONTAINERS_CONF=$CONTAINERS_DIR/containers.conf
export CONTAINERS_REGISTRIES_CONF=$CONTAINERS_DIR/registries.conf TMPDIR=$CONTAINERS_DIR/tmp

# The Debian mirror apt uses here (deb822 or one-line sources).
debian_mirror() {
  { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
    | awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit} /^deb / && $2 ~ /debian\/?$/ {print $2; exit}'
}

# trixie_base ARCH: a minimal Debian 13 image for ARCH (amd64, arm64), made with debootstrap (foreign
# architectures run under qemu-user-static) and imported as localhost/edgeai-trixie:ARCH.
trixie_base() {
  local arch=$1 image=localhost/edgeai-trixie:$1 rootfs=$CONTAINERS_DIR/rootfs-$1
  podman image exists "$image" && return 0
  say "debootstrap trixie for $arch (minbase; log $CONTAINERS_DIR/debootstrap-$arch.log)"
  rm -rf "$rootfs"
  debootstrap --arch="$arch" --variant=minbase trixie "$rootfs" "$(debian_mirror)" > "$CONTAINERS_DIR/debootstrap-$arch.log" 2>&1 \
    || fail "debootstrap for $arch failed; see $CONTAINERS_DIR/debootstrap-$arch.log"
  tar -C "$rootfs" -c . | podman import --arch "$arch" - "$image" > /dev/null
  rm -rf "$rootfs"
}
