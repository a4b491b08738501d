"""The peer of `./lab bench`: the report's MLP trained by Debian's python3-torch (with OpenBLAS as libblas.so.3,
Debian package libopenblas0-pthread) exactly as our core trains it
(bytes scaled to [0,1], Adam 1e-3, cross-entropy on logits, reshuffled each epoch, evaluation on the test set).

  pytorch_train.py IDX_DIR EPOCHS BATCH THREADS [CONFIG]
      -> one JSON line: seconds, accuracy, peak_rss_mb, torch version, blas libraries and core, config
  pytorch_train.py --available CONFIG
      -> one JSON line: whether this PyTorch has CONFIG ("available"), and if not, why ("why")
  pytorch_train.py --probe THREADS
      -> one JSON line: the BLAS core OpenBLAS picked, and its GFLOP/s on the training's largest product
         (128x784 by 784x128)

CONFIG: "eager" (the default: Adam's default implementation), "fused" (torch.optim.Adam(..., fused=True), one
kernel for the whole update; CPU support came after 1.13), "compile" (the model through torch.compile, with the
fused Adam; absent in 1.13; its seconds include compiling, from inductor's cache when an earlier run filled it).
The same file runs on every PyTorch the benchmark uses (Debian 12's 1.13, sid's 2.x).
"""
import ctypes, gzip, json, resource, struct, sys, time
import torch
from torch import nn


def blas():
    """The BLAS libraries loaded, and the kernel family OpenBLAS picked for this CPU (its own report)."""
    libraries = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line})
    core = "?"
    for path in libraries:
        if "libopenblas" in path:
            function = ctypes.CDLL(path).openblas_get_corename
            function.restype = ctypes.c_char_p
            core = function().decode()
    return libraries, core


def probe(threads):
    torch.set_num_threads(threads)
    a, b = torch.rand(128, 784), torch.rand(784, 128)
    for _ in range(20):
        a @ b
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.5:
        a @ b
        calls += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"torch": torch.__version__, "core": blas()[1], "gflops": calls * 2 * 128 * 784 * 128 / seconds / 1e9}))


CONFIGS = ("eager", "fused", "compile")


def unavailable(config):
    """Why this PyTorch cannot train with CONFIG on the CPU, or None when it can."""
    if config == "compile" and not hasattr(torch, "compile"):
        return f"torch.compile does not exist in {torch.__version__}"
    if config in ("fused", "compile"):
        parameter = nn.Parameter(torch.zeros(2))
        parameter.grad = torch.ones(2)
        try:
            torch.optim.Adam([parameter], lr=1e-3, fused=True).step()
        except (TypeError, RuntimeError) as error:
            return f"fused Adam on the CPU fails in {torch.__version__}: {str(error).splitlines()[0]}"
    return None


def read_idx(path):
    raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def main():
    directory, epochs, batch, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    config = sys.argv[5] if len(sys.argv) > 5 else "eager"
    if config not in CONFIGS:
        sys.exit(f"unknown configuration {config!r}: one of {', '.join(CONFIGS)}")
    why = unavailable(config)
    if why:
        sys.exit(why)
    torch.set_num_threads(threads)
    # Like our core (FlatAdam flushes values under 1e-30): subnormal floats cost PyTorch's Adam ~30% here too.
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    x_train = read_idx(f"{directory}/train-images-idx3-ubyte.gz").reshape(-1, 784)
    y_train = read_idx(f"{directory}/train-labels-idx1-ubyte.gz").long()
    x_test = read_idx(f"{directory}/t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    y_test = read_idx(f"{directory}/t10k-labels-idx1-ubyte.gz").long()

    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, **({} if config == "eager" else {"fused": True}))
    if config == "compile":
        model = torch.compile(model)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(y_train))
        images, labels = x_train[order], y_train[order]
        for i in range(0, len(labels), batch):
            x = images[i:i + batch].float().div_(255)
            loss = loss_fn(model(x), labels[i:i + batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (model(x_test.float() / 255).argmax(1) == y_test).float().mean().item()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    libraries, core = blas()
    print(json.dumps({"seconds": seconds, "accuracy": accuracy, "peak_rss_mb": peak, "torch": torch.__version__,
                      "blas": libraries, "core": core, "config": config}))


if __name__ == "__main__":
    if sys.argv[1] == "--probe":
        probe(int(sys.argv[2]))
    elif sys.argv[1] == "--available":
        why = unavailable(sys.argv[2])
        print(json.dumps({"torch": torch.__version__, "available": why is None, "why": why}))
    else:
        main()
