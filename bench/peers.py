"""Peers for `downhill bench --peers`: OpenBLAS sgemm through numpy, and PyTorch training
and inference of the seed network (784-256-128-64-10, ReLU, softmax/cross-entropy, Adam lr 1e-3).

Run by /usr/bin/python3 (Debian's python3-numpy and python3-torch) as a participant of the
interleaved benchmark (lib/cli/bench-channel.ts); thread counts are fixed by environment
variables before the libraries load, so each setting is its own process:

  python3 peers.py serve TORCH_THREADS

reads one JSON request per line on stdin and answers each with one JSON line on stdout:
  {"kind": "info"}                                          -> OpenBLAS core and config, torch version
  {"kind": "gemm", "m", "n", "k", "transA", "transB"}       -> GFLOP/s of ~20 ms of np.matmul
  {"kind": "train", "batch"}                                -> samples/s of one epoch of Adam steps
  {"kind": "predict", "batch"}                              -> ms per forward + softmax
The first request for a measurement sets it up and warms it up; every request times one block.
"""
import ctypes
import json
import sys
import time


def openblas_info():
    """Core name and thread count of the OpenBLAS numpy uses (no threadpoolctl needed)."""
    import numpy as np  # noqa: F401  (loads libopenblas into the process)
    for name in ("libopenblas.so.0", "libopenblasp-r0.3.21.so", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name, mode=ctypes.RTLD_NOLOAD if hasattr(ctypes, "RTLD_NOLOAD") else 0)
        except OSError:
            continue
        try:
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return {
                "library": name,
                "core": lib.openblas_get_corename().decode(),
                "config": lib.openblas_get_config().decode(),
                "threads": lib.openblas_get_num_threads(),
            }
        except AttributeError:
            continue
    return {"library": "unknown"}


def gemm_sampler(req):
    import numpy as np
    m, n, k, ta, tb = req["m"], req["n"], req["k"], req["transA"], req["transB"]
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    aa = a.T if ta else a
    bb = b.T if tb else b
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(aa, bb, out=c)
    t0 = time.perf_counter()
    np.matmul(aa, bb, out=c)
    once = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, int(0.02 / once))
    flops = 2.0 * m * n * k

    def sample():
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(aa, bb, out=c)
        return flops * reps / (time.perf_counter() - t0) / 1e9
    return sample


def network(torch):
    return torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))


def train_sampler(torch, batch):
    rows = 8192
    torch.manual_seed(1)
    x = torch.rand(rows, 784)
    y = torch.randint(0, 10, (rows,))
    model = network(torch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()  # softmax + CE fused, like downhill's last layer
    n = min(rows, max(batch * 64, 2048)) // batch * batch

    def epoch():
        perm = torch.randperm(rows)[:n]
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    epoch()

    def sample():
        t0 = time.perf_counter()
        epoch()
        return n / (time.perf_counter() - t0)
    return sample


def predict_sampler(torch, batch):
    torch.manual_seed(1)
    model = network(torch).eval()
    x = torch.rand(batch, 784)
    reps = 2000 if batch == 1 else 200
    with torch.inference_mode():
        for _ in range(reps // 4):
            torch.softmax(model(x), dim=1)

    def sample():
        with torch.inference_mode():
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.softmax(model(x), dim=1)
            return (time.perf_counter() - t0) / reps * 1e3
    return sample


def serve(torch_threads):
    samplers = {}
    torch_module = []

    def torch():
        if not torch_module:
            import torch as t
            t.set_num_threads(torch_threads)
            torch_module.append(t)
        return torch_module[0]

    def answer(req):
        kind = req.get("kind")
        if kind == "info":
            info = {"blas": openblas_info()}
            if req.get("torch"):
                info["torch"] = torch().__version__
                info["intraOpThreads"] = torch().get_num_threads()
            return info
        key = json.dumps(req, sort_keys=True)
        if key not in samplers:
            if kind == "gemm":
                samplers[key] = gemm_sampler(req)
            elif kind == "train":
                samplers[key] = train_sampler(torch(), int(req["batch"]))
            elif kind == "predict":
                samplers[key] = predict_sampler(torch(), int(req["batch"]))
            else:
                raise ValueError(f"unknown request kind {kind!r}")
        return samplers[key]()

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = {"value": answer(json.loads(line))}
        except Exception as e:  # reported to the orchestrator, which marks the peer skipped
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "serve":
        raise SystemExit("usage: peers.py serve TORCH_THREADS")
    serve(int(sys.argv[2]) if len(sys.argv) > 2 else 1)


if __name__ == "__main__":
    main()
