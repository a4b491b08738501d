#!/usr/bin/env bash
# pi-cpus/run.sh PROGRAM [ARG]...: runs an aarch64 program of this machine straight under qemu-aarch64-static (no
# container) as a Raspberry Pi 4B's CPU, QEMU_CPU (default cortex-a72; cortex-a76 for a Pi 5, cortex-a57 for a Jetson
# Nano, max for qemu's default), against the cross toolchain's arm64 libc, with the SIGILL reporter preloaded.
# qemu 7.2's user mode passes the host's /proc/cpuinfo through: x86 text, which pytorch's cpuinfo library (inside ONNX
# Runtime) fails to parse and then dereferences NULL (SIGSEGV at startup under every model, a Pi never sees it). So
# the program sees a Pi 4B's /proc/cpuinfo instead: qemu looks absolute paths up under its -L prefix first, and the
# prefix made here is the cross libc plus proc/cpuinfo (one entry per CPU this machine has, as /sys says).
# Exits with the program's status (132: SIGILL, and an "edgeai-sigill:" line on stderr; sigill/explain.py reads it).
# Needs: qemu-user-static, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
say() { printf '\033[1mpi-cpus:\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1mpi-cpus: FAILED:\033[0m %s\n' "$*" >&2; exit 1; }
(($#)) || fail "usage: pi-cpus/run.sh PROGRAM [ARG]..."
source "$HERE/../qemu-cpu.sh"
prefix=$ROOT/.lab/pi-cpus/prefix
mkdir -p "$prefix/proc"
for entry in /usr/aarch64-linux-gnu/*; do ln -sfn "$entry" "$prefix/"; done
pi_cpuinfo "$prefix/proc/cpuinfo"
sigill_preload "$ROOT/.lab/pi-cpus/sigill"
say_qemu_cpu
ulimit -c 0   # qemu-user writes a guest core file for a fatal signal; the reporter says what matters
# W^X off for .NET programs: under qemu-user its double-mapped code pages misbehave (arm64.sh says where).
exec qemu-aarch64-static -cpu "$QEMU_CPU" -L "$prefix" -E QEMU_CPU="$QEMU_CPU" -E LD_PRELOAD="$SIGILL_PRELOAD" \
  -E DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 -E DOTNET_EnableWriteXorExecute=0 "$@"
