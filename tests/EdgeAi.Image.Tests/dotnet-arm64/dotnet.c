/* The `dotnet` executable of the arm64 .NET stand-in (dotnet-arm64.sh). Microsoft's arm64 SDK and runtime images,
 * whose /usr/share/dotnet the Dockerfile copies, cannot be pulled here, and no package this machine can reach holds
 * an arm64 `dotnet`: NuGet's runtime and host packs carry hostfxr, hostpolicy, the runtime and the apphost, but not
 * this small launcher. Written by hand for that reason, through .NET's documented hosting interface: like the real
 * one it finds the newest host/fxr/VERSION/libhostfxr.so beside itself and hands its arguments to
 * hostfxr_main_startupinfo, which does all the rest (`dotnet app.dll`, `dotnet --info`, the SDK's commands).
 * One difference: it turns .NET's W^X off unless told otherwise. This machine runs arm64 under qemu-user only, where
 * W^X's double-mapped code pages break Roslyn's MEF composition (dotnet-interactive dies before its first reply:
 * seen here); arm64 hardware needs no such switch, and Microsoft's launcher sets none. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int32_t (*hostfxr_main_startupinfo_fn)(int argc, const char **argv, const char *host_path,
                                                const char *dotnet_root, const char *app_path);

static int is_version(const struct dirent *entry) { return entry->d_name[0] >= '0' && entry->d_name[0] <= '9'; }

int main(int argc, const char **argv)
{
    char host_path[PATH_MAX], root[PATH_MAX], fxr_dir[PATH_MAX], fxr_path[PATH_MAX], app_path[PATH_MAX];
    if (!realpath("/proc/self/exe", host_path)) { perror("dotnet: /proc/self/exe"); return 1; }
    strcpy(root, host_path);
    dirname(root);

    struct dirent **versions;
    snprintf(fxr_dir, sizeof fxr_dir, "%s/host/fxr", root);
    int count = scandir(fxr_dir, &versions, is_version, versionsort);
    if (count <= 0) { fprintf(stderr, "dotnet: no .NET host in %s\n", fxr_dir); return 1; }
    if (snprintf(fxr_path, sizeof fxr_path, "%s/%s/libhostfxr.so", fxr_dir, versions[count - 1]->d_name) >= (int)sizeof fxr_path)
    { fprintf(stderr, "dotnet: the path of %s is too long\n", fxr_dir); return 1; }

    void *fxr = dlopen(fxr_path, RTLD_NOW | RTLD_LOCAL);
    if (!fxr) { fprintf(stderr, "dotnet: %s\n", dlerror()); return 1; }
    hostfxr_main_startupinfo_fn run = (hostfxr_main_startupinfo_fn)dlsym(fxr, "hostfxr_main_startupinfo");
    if (!run) { fprintf(stderr, "dotnet: %s has no hostfxr_main_startupinfo\n", fxr_path); return 1; }
    setenv("DOTNET_EnableWriteXorExecute", "0", 0);
    snprintf(app_path, sizeof app_path, "%.*s/dotnet.dll", PATH_MAX - 12, root);   /* what the real launcher passes as its "app" */
    return run(argc, argv, host_path, root, app_path);
}
