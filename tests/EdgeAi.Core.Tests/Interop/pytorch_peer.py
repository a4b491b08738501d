"""The real peer for the interop tests: Debian's python3-torch, reading and writing safetensors.

Debian 12 has no python3-safetensors, so the format (an 8-byte little-endian header length, a JSON header,
then raw little-endian tensor bytes) is read and written here with the standard library: it holds no code,
which is why we use it.

  pytorch_peer.py predict WEIGHTS IDX_DIR OUT   # argmax for every test image, one per line
  pytorch_peer.py export SEED WEIGHTS IDX_DIR OUT  # random-init model saved to WEIGHTS, plus its argmax
"""
import gzip, json, struct, sys
import torch
from torch import nn

DTYPES = {"F32": torch.float32}


def model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[info["dtype"]])
        tensors[name] = flat.reshape(info["shape"])
    return tensors


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))


def test_images(idx_dir):
    path = f"{idx_dir}/t10k-images-idx3-ubyte"
    try:
        raw = gzip.open(path + ".gz").read()
    except FileNotFoundError:
        raw = open(path, "rb").read()
    count = struct.unpack(">I", raw[4:8])[0]
    return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(count, 28, 28).float() / 255


def write_predictions(net, idx_dir, out):
    with torch.no_grad():
        labels = net(test_images(idx_dir)).argmax(1)
    with open(out, "w") as f:
        f.write("\n".join(str(int(v)) for v in labels) + "\n")


def main():
    torch.set_num_threads(1)
    if sys.argv[1] == "predict":
        net = model()
        net.load_state_dict(read_safetensors(sys.argv[2]))  # strict: names and shapes must match
        write_predictions(net.eval(), sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "export":
        torch.manual_seed(int(sys.argv[2]))
        net = model().eval()
        write_safetensors(sys.argv[3], net.state_dict())
        write_predictions(net, sys.argv[4], sys.argv[5])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")


if __name__ == "__main__":
    main()
