"""The core through the magics in a live dotnet-interactive kernel (./lab bench runs this after Program.cs).

Prints: in-kernel training seconds (#!mnist-train, 3 epochs, batch 32, as the manifest records them), the peak
RSS of the kernel's dotnet process plus that of a Jupyter server, warm #!mnist-load + #!mnist-eval on 10,000
images, and a cold kernel start to the first prediction, each against its target in docs/performance.md (exit 1 if
one is missed). Needs JUPYTER_PATH with the lab's kernelspec and EDGEAI_DATA_DIR / EDGEAI_WEIGHTS_DIR set;
SERVER: the command that starts the lab's Jupyter server (scripts/jupyter-server); NOTEBOOKS: the notebooks folder;
KERNEL: the kernelspec's name (scripts/kernelspec.sh name).
"""
import json, os, re, secrets, socket, subprocess, sys, tempfile, time, urllib.request
from jupyter_client.manager import KernelManager

missed = 0


def target(text, met):
    global missed
    missed += not met
    print(f"target {'met' if met else 'MISSED'}: {text}")


def run(client, code, timeout=600):
    outputs, reply = [], None
    msg_id = client.execute(code)
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind in ("display_data", "execute_result", "update_display_data"):
            outputs.extend(msg["content"]["data"].values())
        elif kind == "error":
            sys.exit(f"{code!r} failed: {msg['content']['evalue']}")
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            return outputs


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def kernel_process(launcher):
    """The kernel itself: the dotnet process under the launcher script that Jupyter started."""
    pending, found = [launcher], []
    while pending:
        pid = pending.pop()
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                pending.extend(int(child) for child in children.read().split())
        if pid != launcher and "dotnet" in os.path.basename(os.readlink(f"/proc/{pid}/exe")):
            found.append(pid)
    if not found:
        sys.exit(f"no dotnet process under the kernel launcher {launcher}")
    return max(found, key=peak_rss_mb)


def server_peak_rss_mb(command):
    """Peak RSS of the lab's Jupyter server after it served its page, its kernelspecs and its contents."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as root:
        root_option = ["--allow-root"] if os.geteuid() == 0 else []   # as ./lab up does for root
        server = subprocess.Popen([command, root, "127.0.0.1", str(port), *root_option], env={**os.environ, "JUPYTER_TOKEN": token},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for path in ["api/status", "tree", "lab", "api/kernelspecs", "api/contents"]:
                for _ in range(120):
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}?token={token}", timeout=10).read()
                        break
                    except urllib.error.HTTPError:
                        break   # /lab on the classic server, /tree on a JupyterLab without it
                    except OSError:
                        time.sleep(0.5)
            if server.poll() is not None:
                sys.exit(f"the Jupyter server {command} exited with {server.returncode}")
            return peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait()


def start():
    manager = KernelManager(kernel_name=os.environ["KERNEL"])
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def extension_cell():
    """The prediction notebook's first cell, which loads the extension as users do (its exact version)."""
    notebook = json.load(open(os.path.join(os.environ["NOTEBOOKS"], "mnist_prediction.ipynb")))
    return "".join(next(c for c in notebook["cells"] if c["cell_type"] == "code")["source"]).strip()


def main():
    manager, client = start()
    begin = time.perf_counter()
    run(client, extension_cell())
    print(f"first #r of the extension in this run: {time.perf_counter() - begin:.2f} s "
          "(a restore unless dotnet-interactive's restore cache already knows this exact version)")
    trained = "".join(run(client, "#!mnist-train --epochs 3 --batch-size 32 --seed 1"))
    seconds = float(re.search(r"trained in <b>([\d.]+) s", trained).group(1))
    accuracy = re.search(r"test accuracy <b>([\d.]+) %", trained).group(1)
    kernel = peak_rss_mb(kernel_process(manager.provisioner.process.pid))
    server = server_peak_rss_mb(os.environ["SERVER"])
    print(f"in-kernel #!mnist-train, batch 32: {seconds:.2f} s, test accuracy {accuracy} %")
    target(f"peak RSS while training <= 1024 MB: kernel (dotnet) {kernel:.0f} MB + Jupyter server {server:.0f} MB "
           f"= {kernel + server:.0f} MB", kernel + server <= 1024)

    run(client, "#!mnist-load")
    run(client, "#!mnist-eval")
    warm = []
    for _ in range(3):
        begin = time.perf_counter()
        run(client, "#!mnist-load")
        run(client, "#!mnist-eval")
        warm.append(time.perf_counter() - begin)
    warm.sort()
    target(f"warm #!mnist-load + #!mnist-eval (10,000 images, round trips included) <= 0.3 s: median {warm[1]:.3f} s "
           f"({warm[0]:.3f}-{warm[2]:.3f})", warm[1] <= 0.3)
    client.stop_channels()
    manager.shutdown_kernel(now=True)

    marks = [("kernel start", time.perf_counter())]
    manager, client = start()
    marks.append(("kernel ready", time.perf_counter()))
    run(client, extension_cell())
    marks.append(("#r the extension (restore cache warm)", time.perf_counter()))
    run(client, "#!mnist-load")
    marks.append(("#!mnist-load", time.perf_counter()))
    run(client, "#!mnist-predict")
    marks.append(("#!mnist-predict", time.perf_counter()))
    cold = marks[-1][1] - marks[0][1]
    steps = ", ".join(f"{name} {end - begin:.2f} s" for (_, begin), (name, end) in zip(marks, marks[1:]))
    target(f"cold start, kernel start to first prediction <= 6 s: {cold:.2f} s ({steps})", cold <= 6)
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
