# Sourced by arm64.sh, pi-cpus/run.sh and sigill/test.sh: the CPU model qemu-user emulates for every arm64 process they
# start, and the SIGILL reporter (sigill/). Needs: say and fail (containers.sh's, or the caller's own).
# Provides: QEMU_CPU (exported), qemu_cpu_args, say_qemu_cpu, sigill_preload, sigill_explain.
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

# The options that give a container the model (and, once sigill_preload has run, the reporter).
qemu_cpu_args() {
  printf '%s\n' -e "QEMU_CPU=$QEMU_CPU"
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

# sigill_explain FILE...: each reporter line in FILE... as "SIGILL in BINARY+OFFSET (symbol): INSTRUCTION
# (EXTENSION) - not available on MODEL", on stderr; returns 1 when there was one.
sigill_explain() {
  python3 "$SIGILL_DIR/explain.py" "$@" >&2
}
