#!/usr/bin/env python3
"""NNGP kernel regression against the same NumPy code, on this machine in this run.

    python3 bench/nngp.py [path/to/host] [--sizes 100,2000]

For each n: generates problem 11's data in NumPy (d = 200, 5,000 test points, rows normalised,
y = mean of sin), saves it as .npy, runs `host run NNGP kernels` on those arrays, and the same
four kernel regressions in NumPy (kernel matrices by matmul, np.linalg.solve). Prints both test
MSEs per kernel and both times (ours: the computation as the run reports it, and the whole
command; NumPy: the computation).
"""
import json, os, shutil, subprocess, sys, tempfile, time
import numpy as np

def kernels(a, b):
    xi = np.clip(a @ b.T, -1, 1)
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * (a @ b.T)
    return {
        "relu": (xi * (np.pi - np.arccos(xi)) + np.sqrt(1 - xi ** 2)) / np.pi,
        "sine": 2 * np.e / (np.e ** 2 - 1) * np.sinh(xi),
        "erf": np.arcsin(2 * xi / 3) / np.arcsin(2 / 3),
        "laplace": np.exp(-np.sqrt(np.maximum(sq, 0)) / 200),
    }

def main():
    args = sys.argv[1:]
    sizes = [100, 2000]
    if "--sizes" in args:
        i = args.index("--sizes"); sizes = [int(s) for s in args[i + 1].split(",")]; del args[i:i + 2]
    host = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "host")
    work = tempfile.mkdtemp(prefix="nngp-bench-")
    rng = np.random.default_rng(0)
    for n in sizes:
        def draw(m):
            x = rng.standard_normal((m, 200)); return x / np.linalg.norm(x, axis=1, keepdims=True)
        x, xt = draw(n), draw(5000)
        y, yt = np.sin(x).mean(1), np.sin(xt).mean(1)
        for name, a in [("x", x), ("y", y), ("xt", xt), ("yt", yt)]: np.save(os.path.join(work, name + ".npy"), a)
        out = os.path.join(work, f"run{n}")
        start = time.perf_counter()
        text = subprocess.run([host, "run", "NNGP", "kernels", "--x", f"{work}/x.npy", "--y", f"{work}/y.npy", "--x-test", f"{work}/xt.npy",
                               "--y-test", f"{work}/yt.npy", "--quiet", "--json", "--out", out], check=True, capture_output=True, text=True).stdout
        ours = time.perf_counter() - start
        metrics = json.loads(text)["metrics"]
        start = time.perf_counter()
        train, test = kernels(x, x), kernels(xt, x)
        mses = {k: float(np.mean((test[k] @ np.linalg.solve(train[k], y) - yt) ** 2)) for k in train}
        theirs = time.perf_counter() - start
        compute = metrics["seconds"]
        print(f"n = {n}: ours {compute:.3f} s computing ({ours:.3f} s whole command, start-up and reading the arrays included), "
              f"NumPy {theirs:.3f} s computing: {theirs / compute:.2f}x ({theirs / ours:.2f}x against our whole command)")
        for k in mses:
            print(f"  {k:8s} test MSE ours {metrics['mse_' + k]:.6e}  NumPy {mses[k]:.6e}  relative difference {abs(metrics['mse_' + k] - mses[k]) / mses[k]:.1e}")
    shutil.rmtree(work, ignore_errors=True)

main()
