#!/usr/bin/env bash
# sigill/test.sh [--probe DIR] [--image IMAGE]: proves the SIGILL reporter names the binary and the instruction. A
# tiny library built for ARMv8.1-A (its one function is an LSE atomic add, `ldadd`) is called under the CPU model of a
# Raspberry Pi 4B (qemu's cortex-a72: ARMv8.0-A, no LSE) from a C program, and, with --probe DIR (pi-cpus/probe
# published self-contained for linux-arm64), from .NET through P/Invoke (the runtime's own SIGILL handler chains to
# the reporter). Each must die of SIGILL (exit 132) and explain.py must print
#   SIGILL in liblse.so+0x...: ldadd w1, w0, [x0] (LSE atomics, ARMv8.1-A) - not available on cortex-a72
# Under qemu's default model, max, the same programs run and print "add: 1 -> 3".
# By default the programs run straight under qemu-aarch64-static against the cross toolchain's arm64 libc
# (-L /usr/aarch64-linux-gnu): no container, no root, seconds (EdgeAi.Image.Tests' SigillReporterTests runs it so).
# With --image IMAGE they run in an arm64 container instead (root, podman, binfmt_misc), as arm64.sh's processes do.
# Needs: qemu-user-static, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, binutils-aarch64-linux-gnu, python3.
# Sourceable (the function sigill_test; the caller provides say and fail) or run alone.
set -euo pipefail
SIGILL_TEST_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# sigill_run CPU LOG COMMAND...: COMMAND (paths of this machine) as an aarch64 process under qemu's model CPU, with
# the reporter preloaded; its output in LOG; returns its exit status.
sigill_run() {
  local cpu=$1 log=$2 rc=0
  shift 2
  # A fatal guest signal makes qemu-user write a guest core file into the working folder: none wanted.
  # W^X off: under qemu-user .NET's double-mapped code pages misbehave (arm64.sh says where); hardware needs no switch.
  if [[ -z $SIGILL_TEST_IMAGE ]]; then
    # (The braces take bash's own "Illegal instruction" notice: the reporter's line says more.)
    { (ulimit -c 0; cd "$SIGILL_TEST_WORK" && exec qemu-aarch64-static -cpu "$cpu" -L /usr/aarch64-linux-gnu -E QEMU_CPU="$cpu" \
      -E LD_PRELOAD="$SIGILL_PRELOAD" -E DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 -E DOTNET_EnableWriteXorExecute=0 "$@") > "$log" 2>&1; } 2> /dev/null || rc=$?
  else
    # In the container the work folder is /work, the probe /probe and the reporter /opt/edgeai-sigill; binfmt_misc
    # starts qemu with the container's environment, so QEMU_CPU goes in with -e.
    local args=() mounts=(-v "$SIGILL_TEST_WORK:/work:ro")
    [[ -n $SIGILL_TEST_PROBE ]] && mounts+=(-v "$SIGILL_TEST_PROBE:/probe:ro")
    for arg in "$@"; do
      arg=${arg//"$SIGILL_TEST_WORK"/\/work}
      [[ -n $SIGILL_TEST_PROBE ]] && arg=${arg//"$SIGILL_TEST_PROBE"/\/probe}
      args+=("$arg")
    done
    (ulimit -c 0; exec podman run --rm --arch arm64 -e QEMU_CPU="$cpu" "${mounts[@]}" \
      -v "$(dirname "$SIGILL_PRELOAD"):/opt/edgeai-sigill:ro" -e LD_PRELOAD=/opt/edgeai-sigill/"$(basename "$SIGILL_PRELOAD")" \
      -e DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 -e DOTNET_EnableWriteXorExecute=0 "$SIGILL_TEST_IMAGE" "${args[@]}") > "$log" 2>&1 || rc=$?
  fi
  return $rc
}

sigill_test() {
  local status=0 log
  SIGILL_TEST_IMAGE="" SIGILL_TEST_PROBE=""
  while (($#)); do
    case $1 in
      --probe) SIGILL_TEST_PROBE=$(cd "${2:?--probe needs a folder}" && pwd); shift 2 ;;
      --image) SIGILL_TEST_IMAGE=${2:?--image needs an image}; shift 2 ;;
      *) fail "usage: sigill/test.sh [--probe DIR] [--image IMAGE]" ;;
    esac
  done
  for tool in qemu-aarch64-static aarch64-linux-gnu-gcc aarch64-linux-gnu-objdump python3; do
    command -v "$tool" > /dev/null || fail "no $tool (apt-get install qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu)"
  done
  SIGILL_TEST_WORK=$(mktemp -d)
  local work=$SIGILL_TEST_WORK
  printf '%s\n' 'int add(int *p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }' > "$work/lse.c"
  printf '%s\n' '#include <stdio.h>' 'int add(int *p, int v);' 'int main(void) { int x = 1; int old = add(&x, 2); printf("add: %d -> %d\n", old, x); return x != 3; }' > "$work/main.c"
  # -mno-outline-atomics: GCC 10+ may otherwise call libgcc's helpers, which choose LSE at run time from HWCAP
  # (guarded: no SIGILL on a Pi); the test needs the unguarded instruction itself, as a library built for v8.1 has it.
  aarch64-linux-gnu-gcc -O2 -march=armv8.1-a -mno-outline-atomics -shared -fPIC -o "$work/liblse.so" "$work/lse.c"
  aarch64-linux-gnu-gcc -O2 -march=armv8-a -o "$work/main" "$work/main.c" -L"$work" -llse -Wl,-rpath,'$ORIGIN'
  aarch64-linux-gnu-objdump -d "$work/liblse.so" | grep -q 'ldadd' || { say "FAILED: the test library has no ldadd"; rm -rf "$work"; return 1; }
  sigill_preload "$work/preload"
  say "SIGILL reporter test: $(if [[ -n $SIGILL_TEST_IMAGE ]]; then echo "in $SIGILL_TEST_IMAGE"; else echo "qemu-aarch64-static, no container"; fi)"
  local runs=("C program|$work/main")
  [[ -n $SIGILL_TEST_PROBE ]] && runs+=(".NET P/Invoke|$SIGILL_TEST_PROBE/probe native $work/liblse.so")
  for run in "${runs[@]}"; do
    local what=${run%%|*} command
    read -r -a command <<< "${run#*|}"
    for cpu in max cortex-a72; do
      log=$work/$cpu.log
      local rc=0
      sigill_run "$cpu" "$log" "${command[@]}" || rc=$?
      if [[ $cpu == max ]]; then
        if ((rc == 0)) && grep -q 'add: 1 -> 3' "$log"; then say "ok: $what, LSE library under QEMU_CPU=max: exit 0, add: 1 -> 3"
        else say "FAILED: $what under QEMU_CPU=max exited $rc"; cat "$log" >&2; status=1; fi
        continue
      fi
      local explained reporter
      explained=$(python3 "$SIGILL_TEST_HERE/sigill/explain.py" "$log" 2>&1) || true
      reporter=$(grep -m 1 '^edgeai-sigill:' "$log" || true)
      if ((rc == 132)) && [[ $explained == *"SIGILL in liblse.so+0x"*": ldadd "*"(LSE atomics, ARMv8.1-A) - not available on cortex-a72"* ]]; then
        say "ok: $what, LSE library under QEMU_CPU=cortex-a72: exit 132"
        say "  reporter: ${reporter/$work/WORK}"
        say "  explain.py: $(head -n 1 <<< "$explained" | sed 's: \[/[^]]*\]$::')"
      else
        say "FAILED: $what under QEMU_CPU=cortex-a72: exit $rc, reporter said: ${explained:-nothing}"; cat "$log" >&2; status=1
      fi
    done
  done
  rm -rf "$work"
  return $status
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  say() { printf '\033[1msigill:\033[0m %s\n' "$*" >&2; }
  fail() { printf '\033[1msigill: FAILED:\033[0m %s\n' "$*" >&2; exit 1; }
  # The container path needs containers.sh's storage and settings (and root); the direct path needs neither.
  [[ " $* " == *" --image "* ]] && source "$SIGILL_TEST_HERE/containers.sh"
  source "$SIGILL_TEST_HERE/qemu-cpu.sh"
  sigill_test "$@"
fi
