"""Peer measurements for bench/peers.mjs: OpenBLAS sgemm through numpy, and PyTorch training
and inference of the seed network (784-256-128-64-10, ReLU, softmax/cross-entropy, Adam lr 1e-3).

Run by /usr/bin/python3 (Debian's python3-numpy and python3-torch). One mode per process,
because thread counts are fixed by environment variables before the libraries load:

  python3 peers.py gemm  '<json list of [m, n, k, transA, transB]>' RUNS
  python3 peers.py train '<json list of batch sizes>' RUNS TORCH_THREADS
  python3 peers.py predict '<json list of batch sizes>' RUNS TORCH_THREADS

Prints one JSON document on stdout. Medians of RUNS timed repetitions after a warm-up.
"""
import ctypes
import json
import statistics
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


def gemm(shapes, runs):
    import numpy as np
    rng = np.random.default_rng(1)
    out = []
    for m, n, k, ta, tb in shapes:
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        aa = a.T if ta else a
        bb = b.T if tb else b
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        # Enough repetitions per timing for ~20 ms.
        np.matmul(aa, bb, out=c)
        t0 = time.perf_counter()
        np.matmul(aa, bb, out=c)
        once = max(time.perf_counter() - t0, 1e-7)
        reps = max(1, int(0.02 / once))
        rates = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for _ in range(reps):
                np.matmul(aa, bb, out=c)
            rates.append(flops * reps / (time.perf_counter() - t0) / 1e9)
        out.append({"m": m, "n": n, "k": k, "transA": bool(ta), "transB": bool(tb),
                    "gflops": statistics.median(rates), "min": min(rates), "max": max(rates)})
    return {"blas": openblas_info(), "gemm": out}


def network(torch):
    return torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))


def train(batches, runs, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    rows = 8192
    x = torch.rand(rows, 784)
    y = torch.randint(0, 10, (rows,))
    out = []
    for batch in batches:
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
        rates = []
        for _ in range(runs):
            t0 = time.perf_counter()
            epoch()
            rates.append(n / (time.perf_counter() - t0))
        out.append({"batch": batch, "samplesPerSecond": statistics.median(rates), "min": min(rates), "max": max(rates)})
    return {"torch": torch.__version__, "intraOpThreads": torch.get_num_threads(), "train": out}


def predict(batches, runs, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = network(torch).eval()
    out = []
    for batch in batches:
        x = torch.rand(batch, 784)
        reps = 2000 if batch == 1 else 200
        with torch.inference_mode():
            for _ in range(reps // 4):
                torch.softmax(model(x), dim=1)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                for _ in range(reps):
                    torch.softmax(model(x), dim=1)
                times.append((time.perf_counter() - t0) / reps * 1e3)
        out.append({"batch": batch, "ms": statistics.median(times), "min": min(times), "max": max(times)})
    return {"torch": torch.__version__, "intraOpThreads": torch.get_num_threads(), "predict": out}


def main():
    mode = sys.argv[1]
    arg = json.loads(sys.argv[2])
    runs = int(sys.argv[3])
    if mode == "gemm":
        result = gemm(arg, runs)
    elif mode == "train":
        result = train(arg, runs, int(sys.argv[4]))
    elif mode == "predict":
        result = predict(arg, runs, int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
