# Sourced by arm64.sh, pi-cpus/run.sh and sigill/test.sh: the CPU model qemu-user emulates for every arm64 process they
# start, and the SIGILL reporter (sigill/). Needs: say and fail (containers.sh's, or the caller's own).
# Provides: QEMU_CPU (exported), qemu_cpu_args, say_qemu_cpu, sigill_preload, sigill_explain, pi_cpuinfo.
#
# qemu-user's default model is "max": every ARMv8.x/v9 extension it implements (LSE atomics, dot product, SVE,
# pointer authentication, ...). A Raspberry Pi 4B is a Cortex-A72, ARMv8.0-A: code built for more dies there with
# SIGILL while it passes under "max" (PyTorch 2.10's aarch64 wheels did: pytorch/pytorch#174344). So every arm64 run
# here emulates the Pi's CPU unless the caller names another model (QEMU_CPU=cortex-a76 for a Pi 5, cortex-a57 for a
# Jetson Nano, max for qemu's default). binfmt_misc starts qemu with the environment of the program it runs, so
# the variable has to be inside the container: podman run -e QEMU_CPU=... (qemu_cpu_args).
# qemu 7.2's cortex-a72 and cortex-a57 give HWCAP 0x8fb: fp asimd aes pmull sha1 sha2 crc32 cpuid. The Pi 4B's
# BCM2711 has no cryptography extension (its /proc/cpuinfo says fp asimd evtstrm crc32 cpuid), and qemu 7.2 cannot
# turn it off (no aes= property): an unguarded AES/SHA/PMULL instruction would pass here and die on a Pi.
export QEMU_CPU=${QEMU_CPU:-cortex-a72}
SIGILL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/sigill" && pwd)

# The options that give a container the model (and, once sigill_preload has run, the reporter; with PI_CPUINFO, a file
# pi_cpuinfo wrote, a Pi 4B's /proc/cpuinfo).
qemu_cpu_args() {
  printf '%s\n' -e "QEMU_CPU=$QEMU_CPU"
  if [[ -n ${PI_CPUINFO:-} ]]; then printf '%s\n' -v "$PI_CPUINFO:/proc/cpuinfo:ro"; fi
  if [[ -n ${SIGILL_PRELOAD:-} ]]; then printf '%s\n' -v "$(dirname "$SIGILL_PRELOAD"):/opt/edgeai-sigill:ro" -e LD_PRELOAD=/opt/edgeai-sigill/"$(basename "$SIGILL_PRELOAD")"; fi
}

say_qemu_cpu() {
  local hwcap
  hwcap=$(QEMU_LD_PREFIX=/usr/aarch64-linux-gnu LD_SHOW_AUXV=1 /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 --version 2>/dev/null | awk '$1 == "AT_HWCAP:" {print "0x" $2}') || true
  say "arm64 under qemu-user: QEMU_CPU=$QEMU_CPU${hwcap:+ (HWCAP ${hwcap})}"
}

# sigill_preload DIR: builds sigill/report.c for aarch64 (ARMv8.0-A) into DIR/libedgeai-sigill.so and sets
# SIGILL_PRELOAD; with it, a process that dies of SIGILL prints one "edgeai-sigill:" line to stderr first.
sigill_preload() {
  mkdir -p "$1"
  aarch64-linux-gnu-gcc -march=armv8-a -O2 -Wall -Werror -shared -fPIC -o "$1/libedgeai-sigill.so" "$SIGILL_DIR/report.c" -ldl \
    || fail "sigill/report.c did not compile (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
  SIGILL_PRELOAD=$1/libedgeai-sigill.so
}

# pi_cpuinfo FILE: writes a Raspberry Pi 4B's /proc/cpuinfo (BCM2711: Cortex-A72 r0p3, no cryptography extension), one
# entry per CPU this machine has. qemu 7.2's user mode passes the host's /proc/cpuinfo through: x86 text, which
# pytorch's cpuinfo library (inside ONNX Runtime) fails to parse and then dereferences NULL, a SIGSEGV in
# libonnxruntime.so's initialiser under every model that a Pi never sees. pi-cpus/run.sh puts FILE under qemu's -L
# prefix; a container gets it mounted over /proc/cpuinfo (qemu_cpu_args, once PI_CPUINFO is set).
pi_cpuinfo() {
  : > "$1.tmp"
  for ((cpu = 0; cpu < $(nproc --all); cpu++)); do
    printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n' "$cpu" >> "$1.tmp"
  done
  printf 'Hardware\t: BCM2835\nRevision\t: c03114\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n' >> "$1.tmp"
  mv "$1.tmp" "$1"
}

# sigill_explain FILE...: each reporter line in FILE... as "SIGILL in BINARY+OFFSET (symbol): INSTRUCTION
# (EXTENSION) - not available on MODEL", on stderr; returns 1 when there was one.
sigill_explain() {
  python3 "$SIGILL_DIR/explain.py" "$@" >&2
}
