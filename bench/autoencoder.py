#!/usr/bin/env python3
"""`host run Autoencoder attractors` against the same loop in PyTorch, on this machine.

    python3 bench/autoencoder.py [path/to/host] [--threads 2] [--json]

Fits f(x) = A relu(B x) (3,072 -> 1,024 -> 3,072, no biases, PyTorch's default initialisation)
to one generated image by full-batch gradient descent on 1/2 ||f(z) - z||^2 with lr 1e-4 until
the MSE is below 1e-5, in PyTorch, and prints its time per step against ours (the run's own
ms_per_step for the one-image fit, through the engine), both on 2 threads (or
--threads). --json prints one JSON line of the same figures instead.
"""
import json, os, shutil, subprocess, sys, tempfile, time
from common import default_host, emit, flag, option

def main():
    args = sys.argv[1:]
    as_json, threads = flag(args, "--json"), option(args, "--threads", "2")
    host = args[0] if args else default_host()
    work = tempfile.mkdtemp(prefix="ae-bench-")
    env = dict(os.environ); env.pop("CIFAR10_DIR", None)
    text = subprocess.run([host, "run", "Autoencoder", "attractors", "--threads", threads, "--quiet", "--json", "--out", os.path.join(work, "run")],
                          check=True, capture_output=True, text=True, env=env).stdout
    ours = json.loads(text)["metrics"]
    import torch
    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    z = torch.rand(1, 3072)
    net = torch.nn.Sequential(torch.nn.Linear(3072, 1024, bias=False), torch.nn.ReLU(), torch.nn.Linear(1024, 3072, bias=False))
    opt = torch.optim.SGD(net.parameters(), lr=1e-4)
    steps, start = 0, time.perf_counter()
    while steps < 5000:
        opt.zero_grad()
        diff = net(z) - z
        if (diff ** 2).mean().item() < 1e-5: break
        (0.5 * (diff ** 2).sum()).backward()
        opt.step()
        steps += 1
    theirs = (time.perf_counter() - start) * 1000 / max(steps, 1)
    if as_json:
        emit({"threads": int(threads), "ours_steps": ours["steps_one"], "ours_ms_per_step": ours["ms_per_step"],
              "theirs_steps": steps, "theirs_ms_per_step": theirs, "ratio": theirs / ours["ms_per_step"]})
    else:
        print(f"attractors, one image to MSE < 1e-5: ours {ours['steps_one']:.0f} steps, {ours['ms_per_step']:.1f} ms per step; "
              f"PyTorch {steps} steps, {theirs:.1f} ms per step: {theirs / ours['ms_per_step']:.2f}x")
    shutil.rmtree(work, ignore_errors=True)

main()
