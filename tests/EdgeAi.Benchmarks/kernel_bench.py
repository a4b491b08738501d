"""The core through the magics in a live dotnet-interactive kernel (./lab bench runs this after Program.cs).

Prints: in-kernel training seconds (#!mnist-train, 3 epochs, batch 32, as the manifest records them), the
kernel's peak RSS, warm #!mnist-load + #!mnist-eval on 10,000 images, and a cold kernel start to the first
prediction. Needs JUPYTER_PATH with the lab's kernelspec and EDGEAI_DATA_DIR / EDGEAI_WEIGHTS_DIR set.
"""
import json, re, sys, time
from jupyter_client.manager import KernelManager


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


def start():
    manager = KernelManager(kernel_name="edgeai-csharp")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def main():
    manager, client = start()
    run(client, '#r "nuget: EdgeAi.Interactive"')
    trained = "".join(run(client, "#!mnist-train --epochs 3 --batch-size 32 --seed 1"))
    seconds = float(re.search(r"trained in <b>([\d.]+) s", trained).group(1))
    accuracy = re.search(r"test accuracy <b>([\d.]+) %", trained).group(1)
    pid = manager.provisioner.process.pid
    print(f"in-kernel #!mnist-train, batch 32: {seconds:.2f} s, test accuracy {accuracy} %, kernel peak RSS {peak_rss_mb(pid):.0f} MB")

    run(client, "#!mnist-load")
    run(client, "#!mnist-eval")
    begin = time.perf_counter()
    run(client, "#!mnist-load")
    run(client, "#!mnist-eval")
    print(f"warm #!mnist-load + #!mnist-eval (10,000 images), round trips included: {time.perf_counter() - begin:.3f} s")
    client.stop_channels()
    manager.shutdown_kernel(now=True)

    begin = time.perf_counter()
    manager, client = start()
    run(client, '#r "nuget: EdgeAi.Interactive"')
    run(client, "#!mnist-load")
    run(client, "#!mnist-predict")
    print(f"cold kernel start to first prediction: {time.perf_counter() - begin:.2f} s")
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    print(json.dumps({"in_kernel_train_seconds": seconds}))


if __name__ == "__main__":
    main()
