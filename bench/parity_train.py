#!/usr/bin/env python3
"""Parity `train` against the same loop in PyTorch (2 threads), on this machine in this run.

    python3 bench/parity_train.py [path/to/host] [--d 30] [--iters 50000]

Prints both times and the ratio (PyTorch time / ours). Skips PyTorch with a message when it is
not installed.
"""
import json, os, subprocess, sys, time

def pytorch_loop(d, iters, batch=100, lr=0.001, momentum=0.9, seed=0):
    import torch
    torch.manual_seed(seed)
    torch.set_num_threads(2)
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
    def option(name, default):
        if name in args:
            i = args.index(name); value = args[i + 1]; del args[i:i + 2]; return int(value)
        return default
    d, iters = option("--d", 30), option("--iters", 50000)
    host = args[0] if args else os.path.join(os.path.dirname(__file__), "..", ".build", "release", "host")
    t = time.perf_counter()
    out = subprocess.run([host, "run", "Parity", "train", "--d", str(d), "--iters", str(iters), "--threads", "2", "--json", "--quiet",
                          "--out", f"/tmp/parity-bench-{os.getpid()}"], check=True, capture_output=True, text=True).stdout
    ours = time.perf_counter() - t
    result = json.loads(out)
    loop = iters / result["metrics"]["steps_per_second"]
    print(f"ours:    {loop:7.2f} s training loop, {ours:.2f} s whole command (start-up, 10,000-sample test, plot) for {iters} steps "
          f"at d = {d}; final loss {result['metrics']['final_loss']:.4f}")
    try:
        theirs, loss = pytorch_loop(d, iters)
    except ImportError:
        print("PyTorch is not installed: skipping the comparison (pip install torch)")
        return
    print(f"PyTorch: {theirs:7.2f} s (training loop only; final batch loss {loss:.4f})")
    print(f"ratio:   {theirs / loop:7.2f}x training loop against training loop; {theirs / ours:.2f}x against our whole command")

if __name__ == "__main__":
    main()
