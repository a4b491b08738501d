// libedgeai-sigill.so, preloaded (LD_PRELOAD) into the arm64 processes of arm64.sh, pi-cpus/run.sh and sigill/test.sh:
// when one dies of SIGILL, it first writes one line to stderr naming where, and the instruction word there:
//   edgeai-sigill: pid 42 pc 0xffff8a3c1234 in /usr/lib/libfoo.so+0x1234 (foo_add+0x8) word 0xb8200020 cpu cortex-a72
// (the offset is into the file, from /proc/self/maps; QEMU_CPU is the model qemu emulates). explain.py turns the
// word into its instruction and the extension it needs. Then the signal is delivered as before: the process still
// dies of SIGILL (exit status 132 from a shell). Built for ARMv8.0-A, so the reporter itself runs on any arm64 CPU.
// A program that installs its own SIGILL handler (OpenSSL's feature probe does, for a moment) replaces this one;
// .NET's runtime chains to it for faults outside managed code.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static char maps[8 << 20];   // a .NET process maps thousands of regions; untouched pages cost nothing

static void report(int sig, siginfo_t *info, void *context)
{
    ucontext_t *uc = context;
    unsigned long pc = (unsigned long)uc->uc_mcontext.pc, offset = 0;
    char line[1024], path[512] = "?";
    (void)info;
    // /proc/self/maps (under qemu-user, the guest's), read with plain syscalls: the mapping that holds pc.
    int fd = open("/proc/self/maps", O_RDONLY);
    size_t length = 0;
    ssize_t got;
    if (fd >= 0) {
        while (length < sizeof maps - 1 && (got = read(fd, maps + length, sizeof maps - 1 - length)) > 0)
            length += (size_t)got;
        close(fd);
    }
    maps[length] = 0;
    for (char *start = maps, *end; *start; start = end) {
        if ((end = strchr(start, '\n')) != NULL) *end++ = 0;
        else end = start + strlen(start);
        unsigned long lo, hi, off;
        char perms[8], file[512] = "";
        if (sscanf(start, "%lx-%lx %7s %lx %*s %*s %511[^\n]", &lo, &hi, perms, &off, file) >= 4 && pc >= lo && pc < hi) {
            offset = pc - lo + off;
            snprintf(path, sizeof path, "%s", file[0] ? file : "[anonymous]");
            break;
        }
    }
    Dl_info where;
    char symbol[256] = "";
    if (dladdr((void *)pc, &where) && where.dli_sname)
        snprintf(symbol, sizeof symbol, " (%s+0x%lx)", where.dli_sname, pc - (unsigned long)where.dli_saddr);
    const char *cpu = getenv("QEMU_CPU");
    int n = snprintf(line, sizeof line, "edgeai-sigill: pid %d pc 0x%lx in %s+0x%lx%s word 0x%08x cpu %s\n", (int)getpid(), pc,
                     path, offset, symbol, *(const unsigned int *)pc, cpu && *cpu ? cpu : "max");
    if (n > 0) write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    // Back to the default action; returning re-executes the instruction, which now ends the process with SIGILL.
    signal(sig, SIG_DFL);
}

__attribute__((constructor)) static void install(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = report;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGILL, &action, NULL);
}
