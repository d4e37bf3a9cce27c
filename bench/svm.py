#!/usr/bin/env python3
"""SVM plugin against the same work in PyTorch, on this machine in this run.

    python3 bench/svm.py [path/to/host] [--threads 2] [--json]

xor: projected gradient descent on the kernel SVM dual (autograd for the gradient), 10,000
steps of lr 0.1, for the degree-2 polynomial kernel and RBF sigma 1, 2, 4, against
`host run SVM xor --small-sigmas "" --limit-sigmas ""` (no extra models for the 1-NN and
limit checks, so the same 4 kernels x 10,000 steps). cafe: 201 epochs of full-batch Adam on a
linear layer 91,200 -> 6 on the same stand-in images, against `host run SVM cafe`. Both run
on 2 threads (or --threads). Prints both times, the alphas and losses of both, and the
ratios; --json prints one JSON line of the times and ratios instead.
"""
import glob, json, os, shutil, subprocess, sys, tempfile, time
import numpy as np
from common import default_host, emit, flag, option

def pytorch_xor(torch, steps=10000, lr=0.1):
    x = torch.tensor([[1., 1.], [-1., 1.], [-1., -1.], [1., -1.]])
    y = torch.tensor([1., -1., 1., -1.])
    kernels = [("poly2", lambda a, b: (1 + a @ b.T) ** 2)] + [
        (f"rbf{s}", (lambda s: lambda a, b: torch.exp(-torch.cdist(a, b) ** 2 / (2 * s * s)))(s)) for s in (1, 2, 4)]
    results = {}
    start = time.perf_counter()
    for name, k in kernels:
        K = k(x, x)
        alpha = torch.zeros(4, requires_grad=True)
        for _ in range(steps):
            f = 0.5 * (alpha * y) @ K @ (alpha * y) - alpha.sum()
            f.backward()
            with torch.no_grad():
                alpha -= lr * alpha.grad
                alpha.clamp_(min=0)
                alpha.grad.zero_()
        results[name] = alpha.detach().numpy().tolist()
    return time.perf_counter() - start, results

def read_pgm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    w, h, maxval = int(parts[1]), int(parts[2]), int(parts[3])
    return np.frombuffer(parts[4][:w * h], dtype=np.uint8).astype(np.float32) / maxval

def pytorch_cafe(torch, folder, epochs=201, lr=1e-3):
    letters = "adhmfs"
    files = sorted(f for f in os.listdir(folder) if f.endswith(".pgm") and f[1] not in "23")
    x = torch.tensor(np.stack([read_pgm(os.path.join(folder, f)) for f in files]))
    y = torch.tensor([letters.index(f[4]) for f in files])
    torch.manual_seed(0)
    model = torch.nn.Linear(91200, 6)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    start = time.perf_counter()
    for epoch in range(epochs + 1):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        losses.append(loss.item())
        if epoch == epochs: break
        loss.backward()
        opt.step()
    return time.perf_counter() - start, losses

def main():
    import torch
    args = sys.argv[1:]
    as_json, threads = flag(args, "--json"), option(args, "--threads", "2")
    torch.set_num_threads(int(threads))
    host = args[0] if args else default_host()
    work = tempfile.mkdtemp(prefix="svm-bench-")
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
    def ours(command):
        out = os.path.join(work, "run-" + command[0])
        start = time.perf_counter()
        text = subprocess.run([host, "run", "SVM", *command, "--threads", threads, "--quiet", "--json", "--out", out], check=True, capture_output=True, text=True, env=env).stdout
        return time.perf_counter() - start, json.loads(text)["metrics"], out
    # The stand-in is generated on first use; make it before timing.
    subprocess.run([host, "run", "SVM", "cafe", "--epochs", "1", "--quiet", "--out", os.path.join(work, "warm")], check=True, env=env, capture_output=True)
    # Ours first: PyTorch's OpenMP threads keep spinning for a while after their work and
    # would take the cores from a process started right after.
    ours_xor, _, out = ours(["xor", "--small-sigmas", "", "--limit-sigmas", ""])
    ours_cafe, metrics, _ = ours(["cafe"])
    theirs_xor, alphas = pytorch_xor(torch)
    theirs_cafe, losses = pytorch_cafe(torch, os.path.join(work, "cache", "host", "cafe-standin-v1"))
    per_epoch = metrics["ms_per_epoch"]
    if as_json:
        emit({"threads": int(threads), "xor": {"ours_s": ours_xor, "theirs_s": theirs_xor, "ratio": theirs_xor / ours_xor},
              "cafe": {"ours_ms_per_epoch": per_epoch, "theirs_ms_per_epoch": theirs_cafe * 1000 / 201,
                       "ratio_per_epoch": theirs_cafe * 1000 / 201 / per_epoch, "ours_command_s": ours_cafe, "ratio_command": theirs_cafe / ours_cafe}})
        shutil.rmtree(work, ignore_errors=True)
        return
    print(f"xor, 4 kernels x 10,000 steps: ours {ours_xor:.2f} s (whole command), PyTorch {theirs_xor:.2f} s: {theirs_xor / ours_xor:.1f}x")
    print("  PyTorch alphas: " + ", ".join(f"{k} {v[0]:.6g}" for k, v in alphas.items()))
    print("  ours:           " + open(os.path.join(out, "models.csv")).read().strip().replace("\n", " | "))
    print(f"cafe, 201 epochs: ours {per_epoch:.1f} ms per epoch ({ours_cafe:.2f} s whole command, reading the images included), "
          f"PyTorch {theirs_cafe * 1000 / 201:.1f} ms per epoch: {theirs_cafe * 1000 / 201 / per_epoch:.1f}x per epoch, {theirs_cafe / ours_cafe:.1f}x whole command against loop")
    print(f"  losses: PyTorch {losses[0]:.4f} -> {losses[1]:.2f} -> {losses[-1]:.4f}; ours {metrics['initial_loss']:.4f} -> {metrics['final_loss']:.4f}")
    shutil.rmtree(work, ignore_errors=True)

main()
