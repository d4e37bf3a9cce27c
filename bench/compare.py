#!/usr/bin/env python3
"""Runs `host bench --json` and the same work through NumPy and PyTorch on this machine, in
the same run, and prints our time, theirs and the ratio (theirs / ours: above 1 means we are
faster). NumPy or PyTorch that is not installed is skipped with a message.

    python3 bench/compare.py [path/to/host] [--threads N] [--filter TEXT] [--json]

--filter runs only the cases whose name contains TEXT (`host bench TEXT`); --json prints one
JSON line instead of the table: each case's figures and ours beside theirs, with the kernel
set, CPU and clock that `host bench` reports. A GEMM's ratio is taken from GFLOP/s, which
keeps more digits than the host's ms for the small shapes.
"""
import json, os, subprocess, sys, time
from common import default_host, emit, flag, option

def median_ms(fn, seconds=0.6, max_calls=200):
    fn()
    samples, start = [], time.perf_counter()
    while len(samples) < 3 or (len(samples) < max_calls and time.perf_counter() - start < seconds):
        t = time.perf_counter(); fn(); samples.append((time.perf_counter() - t) * 1e3)
    samples.sort()
    return samples[len(samples) // 2]

def main():
    args = sys.argv[1:]
    threads, as_json = option(args, "--threads", "2"), flag(args, "--json")
    only = option(args, "--filter", None)
    host = args[0] if args else default_host()
    ours = [json.loads(l) for l in subprocess.run([host, "bench", "--json", "--threads", threads] + ([only] if only else []), check=True,
                                                  capture_output=True, text=True).stdout.splitlines() if l.strip()]
    memory = [r for r in ours if "peak_bytes" in r]
    ours = [r for r in ours if "ms" in r]
    theirs, say = {}, (lambda *a: None) if as_json else print
    os.environ.setdefault("OPENBLAS_NUM_THREADS", threads)  # NumPy on as many threads as ours (read at import)
    try:
        import numpy as np
        rng = np.random.default_rng(1)
        for r in ours:
            if r["name"].startswith("gemm"):
                (m, k), (_, n) = [tuple(int(v) for v in part.split("x")) for part in r["shape"].split(" * ")]
                a = rng.uniform(-1, 1, (m, k)).astype(np.float32); b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
                theirs[r["name"]] = ("numpy", median_ms(lambda: a @ b))
    except ImportError:
        say("numpy is not installed: skipping the NumPy GEMM comparison (pip install numpy)")
    try:
        import torch
        torch.set_num_threads(int(threads))
        for r in ours:
            if not r["name"].startswith("conv2d"):
                continue
            shape = r["shape"]
            n, c, size = [int(v) for v in shape[1:shape.index(")")].split(",")[:3]]
            oc = int(shape.split("w(")[1].split(",")[0])
            stride = 2 if " s2 " in r["name"] else 1
            backward = r["name"].endswith("fwd+bwd")
            x = torch.empty(n, c, size, size).uniform_(-1, 1).requires_grad_(backward)
            w = torch.empty(oc, c, 3, 3).uniform_(-0.1, 0.1).requires_grad_(backward)
            y0 = torch.nn.functional.conv2d(x, w, stride=stride, padding=1)
            up = torch.empty_like(y0).uniform_(-1, 1)
            def work():
                y = torch.nn.functional.conv2d(x, w, stride=stride, padding=1)
                if backward:
                    y.backward(up); x.grad = None; w.grad = None
            if backward:
                theirs[r["name"]] = ("torch", median_ms(work))
            else:
                with torch.no_grad():
                    theirs[r["name"]] = ("torch", median_ms(work))
    except ImportError:
        say("torch is not installed: skipping the PyTorch conv2d comparison (pip install torch)")
    if as_json:
        emit_json(ours, theirs, memory, threads)
        return
    print(f"{'case':44} {'ours ms':>9} {'GFLOP/s':>8} {'theirs':>7} {'their ms':>9} {'ratio':>6}")
    for r in ours:
        lib, ms = theirs.get(r["name"], ("-", float("nan")))
        ratio = speed_ratio(r, ms)
        print(f"{r['name']:44} {r['ms']:9.3f} {r['gflops']:8.1f} {lib:>7} {ms:9.3f} {ratio:6.2f}")
    for m in memory:
        print(f"{m['name']}: peak {m['peak_bytes'] / 1e6:.1f} MB, bound {m['bound_bytes'] / 1e6:.1f} MB, ratio {m['ratio']:.2f}")

def gemm_flops(r):
    """2mkn for a GEMM case ("MxK * KxN"), None for the rest."""
    if not r["name"].startswith("gemm"):
        return None
    (m, k), (_, n) = [tuple(int(v) for v in part.split("x")) for part in r["shape"].split(" * ")]
    return 2 * m * k * n

def speed_ratio(r, their_ms):
    """Their time / ours: from GFLOP/s for a GEMM (the host rounds ms to 3 decimals), else from ms."""
    flops = gemm_flops(r)
    if flops and r["gflops"] > 0:
        return r["gflops"] / (flops / (their_ms * 1e6))
    return their_ms / r["ms"] if r["ms"] > 0 else float("nan")

def emit_json(ours, theirs, memory, threads):
    cases = []
    for r in ours:
        lib, ms = theirs.get(r["name"], (None, None))
        flops = gemm_flops(r)
        cases.append({"name": r["name"], "shape": r["shape"], "ms": r["ms"], "gflops": r["gflops"], "peer": lib, "peer_ms": ms,
                      "peer_gflops": flops / (ms * 1e6) if flops and ms else None, "ratio": speed_ratio(r, ms) if ms else None})
    first = ours[0] if ours else {}
    emit({"threads": int(threads), "kernel_set": first.get("kernel_set"), "cpu": first.get("cpu"), "clock_mhz": first.get("clock_mhz"),
          "cases": cases, "memory": memory})

if __name__ == "__main__":
    main()
