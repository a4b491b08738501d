"""Prints the listening sockets of the dotnet-interactive kernel(s) in this container, one per line, as
kernel_attack.py takes them: tcp:ADDRESS:PORT or unix:PATH. Standard library only; run inside the image."""
import ipaddress
import os
import re


def tcp_table(path):
    rows = {}
    for line in open(path).read().splitlines()[1:]:
        f = line.split()
        if f[3] != "0A":   # LISTEN
            continue
        address, port = f[1].split(":")
        raw = bytes.fromhex(address)
        raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
        rows[f[9]] = f"tcp:{ipaddress.ip_address(raw)}:{int(port, 16)}"
    return rows


def unix_table(path):
    rows = {}
    for line in open(path).read().splitlines()[1:]:
        f = line.split()
        if len(f) > 7 and int(f[3], 16) & 0x10000:   # __SO_ACCEPTCON: listening
            rows[f[6]] = f"unix:{f[7]}"
    return rows


for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        # The kernel: dotnet-interactive's apphost (comm is cut to 15 characters) or dotnet running its dll.
        if open(f"/proc/{pid}/comm").read().strip() not in ("dotnet-interact", "dotnet") or \
           b"jupyter" not in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0"):
            continue
        sockets = {**tcp_table(f"/proc/{pid}/net/tcp"), **tcp_table(f"/proc/{pid}/net/tcp6"), **unix_table(f"/proc/{pid}/net/unix")}
        for fd in os.listdir(f"/proc/{pid}/fd"):
            m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
            if m and m.group(1) in sockets:
                print(sockets[m.group(1)])
    except OSError:
        pass
