#!/usr/bin/env python3
"""Parity `train` against the same loop in PyTorch (2 threads, or --threads), on this machine in this run.

    python3 bench/parity_train.py [path/to/host] [--d 30] [--iters 50000] [--threads 2] [--json]

Prints both times and the ratio (PyTorch time / ours). Skips PyTorch with a message when it is
not installed. --json prints one JSON line of the same figures instead.
"""
import json, os, subprocess, sys, time
from common import default_host, emit, flag, option

def pytorch_loop(d, iters, batch=100, lr=0.001, momentum=0.9, seed=0, threads=2):
    import torch
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    k = 10 * d
    model = torch.nn.Sequential(torch.nn.Linear(d, k), torch.nn.ReLU(), torch.nn.Linear(k, 1))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    v = torch.randint(0, 2, (d,)).float()
    start = time.perf_counter()
    for _ in range(iters):
        x = torch.randint(0, 2, (batch, d)).float()
        y = 1 - 2 * ((x @ v) % 2)
        opt.zero_grad()
        loss = torch.clamp(1 - model(x).squeeze(1) * y, min=0).mean()
        loss.backward()
        opt.step()
    return time.perf_counter() - start, loss.item()

def main():
    args = sys.argv[1:]
    as_json = flag(args, "--json")
    d, iters, threads = int(option(args, "--d", 30)), int(option(args, "--iters", 50000)), int(option(args, "--threads", 2))
    host = args[0] if args else default_host()
    say = (lambda *a: None) if as_json else print
    t = time.perf_counter()
    out = subprocess.run([host, "run", "Parity", "train", "--d", str(d), "--iters", str(iters), "--threads", str(threads), "--json", "--quiet",
                          "--out", f"/tmp/parity-bench-{os.getpid()}"], check=True, capture_output=True, text=True).stdout
    ours = time.perf_counter() - t
    result = json.loads(out)
    loop = iters / result["metrics"]["steps_per_second"]
    figures = {"d": d, "iters": iters, "threads": threads, "ours_loop_s": loop, "ours_command_s": ours,
               "ours_final_loss": result["metrics"]["final_loss"], "theirs_s": None, "ratio": None}
    say(f"ours:    {loop:7.2f} s training loop, {ours:.2f} s whole command (start-up, 10,000-sample test, plot) for {iters} steps "
        f"at d = {d}; final loss {result['metrics']['final_loss']:.4f}")
    try:
        theirs, loss = pytorch_loop(d, iters, threads=threads)
        figures.update(theirs_s=theirs, theirs_final_loss=loss, ratio=theirs / loop, ratio_command=theirs / ours)
    except ImportError:
        say("PyTorch is not installed: skipping the comparison (pip install torch)")
        theirs = None
    if as_json:
        emit(figures)
    elif theirs is not None:
        print(f"PyTorch: {theirs:7.2f} s (training loop only; final batch loss {loss:.4f})")
        print(f"ratio:   {theirs / loop:7.2f}x training loop against training loop; {theirs / ours:.2f}x against our whole command")

if __name__ == "__main__":
    main()
