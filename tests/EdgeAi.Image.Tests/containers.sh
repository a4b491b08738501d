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

# trixie_base ARCH: the stand-in for Docker Hub's debian:13-slim, for ARCH (amd64, arm64): debootstrap's minbase
# (foreign architectures run under qemu-user-static), then made what the official slim image is: no docs, man pages or
# translations (dpkg keeps leaving them out), no package lists, caches or downloaded packages (apt keeps cleaning up
# after itself). Without that, 0.13 GB of apt's files sat in the base layer, and each image on it counted them.
# Imported as localhost/edgeai-trixie-slim:ARCH.
trixie_base() {
  local arch=$1 image=localhost/edgeai-trixie-slim:$1 rootfs=$CONTAINERS_DIR/rootfs-$1
  podman image exists "$image" && return 0
  say "debootstrap trixie for $arch (minbase; log $CONTAINERS_DIR/debootstrap-$arch.log)"
  rm -rf "$rootfs"
  debootstrap --arch="$arch" --variant=minbase trixie "$rootfs" "$(debian_mirror)" > "$CONTAINERS_DIR/debootstrap-$arch.log" 2>&1 \
    || fail "debootstrap for $arch failed; see $CONTAINERS_DIR/debootstrap-$arch.log"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
    'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    'path-include /usr/share/locale/locale.alias' > "$rootfs/etc/dpkg/dpkg.cfg.d/docker"
  printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' > "$rootfs/etc/apt/apt.conf.d/docker-clean"
  find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/usr/share/{man,groff,info}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | podman import --arch "$arch" - "$image" > /dev/null
  rm -rf "$rootfs"
}

# with_ca_certificates IMAGE: IMAGE with Debian's ca-certificates, as IMAGE-ca. The builds mount this machine's CA
# bundle (this network inspects TLS) over the file the package writes, so a build that installs the package fails
# ("Device or resource busy"); on a base that has it already, apt leaves the file alone. About 1 MB more than the
# slim image; the Dockerfile installs the package itself.
with_ca_certificates() {
  local container
  podman image exists "$1-ca" && return 0
  container=$(buildah from --arch "$(podman image inspect "$1" --format '{{.Architecture}}')" "$1")
  # ${QEMU_CPU:+...}: an arm64 base runs under the model qemu-cpu.sh chose, where a script has sourced it.
  buildah run ${QEMU_CPU:+--env "QEMU_CPU=$QEMU_CPU"} "$container" -- sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates > /dev/null && rm -rf /var/lib/apt/lists/*'
  buildah commit -q "$container" "$1-ca" > /dev/null && buildah rm "$container" > /dev/null
}
