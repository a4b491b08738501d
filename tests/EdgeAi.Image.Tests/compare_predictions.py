"""The report's scenario across architectures (standard library only), judged from `edgeai predict --all --csv` files:

    compare_predictions.py DIR STORE

DIR holds MODEL-on-ARCH.csv for MODEL, ARCH in {amd64, arm64} (the model trained on MODEL, loaded on ARCH); STORE is
the store. A model must give the same label for every test image on both architectures, and probabilities within
TOLERANCE. It also prints how far the two models' weights are apart, though both were trained with the same seed:
each architecture trains with its own libtorch (2.10 from TorchSharp's NuGet package with oneDNN/MKL kernels on
amd64, Debian's 2.6 with OpenBLAS/NEON on arm64), so sums are taken in different orders and the tiny rounding
differences grow over 5,625 Adam steps: equal trained weights are not expected. Loading is exact on both
(safetensors, byte for byte); only the forward pass rounds differently.
"""
import array
import csv
import json
import struct
import sys
from pathlib import Path

TOLERANCE = 1e-4


def predictions(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    labels = [int(r["predicted"]) for r in rows]
    probabilities = [[float(r[f"p{c}"]) for c in range(10)] for r in rows]
    truth = [int(r["true"]) for r in rows]
    return labels, probabilities, truth


def weights(path):
    data = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        values = array.array("f", body[t["data_offsets"][0]:t["data_offsets"][1]])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = (t["shape"], values)
    return tensors


def main():
    out, store = Path(sys.argv[1]), Path(sys.argv[2])
    ok = True
    for model in ("amd64", "arm64"):
        on_amd64, p_amd64, truth = predictions(out / f"{model}-on-amd64.csv")
        on_arm64, p_arm64, _ = predictions(out / f"{model}-on-arm64.csv")
        same = sum(a == b for a, b in zip(on_amd64, on_arm64))
        worst = max(abs(x - y) for a, b in zip(p_amd64, p_arm64) for x, y in zip(a, b))
        accuracy = sum(p == t for p, t in zip(on_amd64, truth)) / len(truth)
        print(f"trained on {model}: {same} of {len(on_amd64)} labels equal on amd64 and arm64, largest probability "
              f"difference {worst:.2e} (tolerance {TOLERANCE:.0e}); test accuracy {accuracy:.4f}")
        ok &= same == len(on_amd64) == len(on_arm64) == 10000 and worst <= TOLERANCE
    a, b = weights(store / "amd64/v000001/weights.safetensors"), weights(store / "arm64/v000001/weights.safetensors")
    for name in sorted(a):
        diffs = [abs(x - y) for x, y in zip(a[name][1], b[name][1])]
        print(f"  {name} {a[name][0]}: largest difference between the two trainings {max(diffs):.3e}, "
              f"mean {sum(diffs) / len(diffs):.3e}")
    return 0 if ok else 1


sys.exit(main())
