# The peer of `./lab bench --serve`: what a user would write instead of `edgeai serve`, at its best here: FastAPI on
# uvicorn (uvloop, and httptools when it runs) in front of Debian's python3-torch, one process, one torch thread and
# OpenBLAS on one thread (the benchmark sets OPENBLAS_NUM_THREADS=1). The same MLP shapes (784-128-128-10) and the
# same Open Inference Protocol request and answer as `edgeai serve`, the same bearer token check; weights are the
# seeded initial ones (speed does not depend on their values).
# Usage: serve_peer.py PORT TOKEN HTTP   (HTTP: httptools or h11); ready once GET /v2/health/ready answers 200.
import sys

import torch
import uvicorn
from fastapi import FastAPI, HTTPException, Request

port, token, http = int(sys.argv[1]), sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
torch.manual_seed(1)
model = torch.nn.Sequential(
    torch.nn.Linear(784, 128), torch.nn.ReLU(),
    torch.nn.Linear(128, 128), torch.nn.ReLU(),
    torch.nn.Linear(128, 10)).eval()
app = FastAPI()


@app.get("/v2/health/ready")
def ready():
    return {}


@app.post("/v2/models/mnist-mlp/infer")
async def infer(request: Request):
    if request.headers.get("authorization") != "Bearer " + token:
        raise HTTPException(status_code=401, detail="send Authorization: Bearer TOKEN")
    body = await request.json()
    tensor = body["inputs"][0]
    count = tensor["shape"][0]
    dtype = torch.uint8 if tensor["datatype"] == "UINT8" else torch.float32
    pixels = torch.tensor(tensor["data"], dtype=dtype).reshape(count, 784).float()
    if dtype == torch.uint8:
        pixels /= 255
    with torch.no_grad():
        probabilities = torch.softmax(model(pixels), 1)
    return {
        "model_name": "mnist-mlp", "model_version": "1", "id": body.get("id"),
        "outputs": [
            {"name": "probabilities", "datatype": "FP32", "shape": [count, 10], "data": probabilities.flatten().tolist()},
            {"name": "label", "datatype": "INT64", "shape": [count], "data": probabilities.argmax(1).tolist()},
        ],
    }


uvicorn.run(app, host="127.0.0.1", port=port, http=http, loop="uvloop", log_level="warning", access_log=False)
