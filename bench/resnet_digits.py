#!/usr/bin/env python3
"""The hw3 ResNet on digits: the course's PyTorch code against `host run ResNet digits`, from
the same initial weights, on this machine in this run.

    python3 bench/resnet_digits.py [path/to/host] [--epochs 30] [--combos relu-batch,silu-layer,...] [--threads 1,2] [--json]
    python3 bench/resnet_digits.py --fixtures Tests/Fixtures/resnet --epochs 2

For each combination it builds the network in PyTorch (seeded), saves its initial parameters as
.npy files by PyTorch name, trains it with fit_and_validate (SGD 0.005, batch 16, no shuffling,
losses in evaluation mode before the first and after every epoch) on 1 thread and on 2 (or
the --threads list), runs our host from the same weights on the same thread counts, and prints
both loss curves' largest difference, both times and the ratio (best of each). --json prints
one JSON line of the same figures instead, with both sides' totals over the combinations. With
--fixtures it writes the initial weights and PyTorch's curves (on the first thread count) for
the tests.
"""
import csv, gzip, json, os, shutil, subprocess, sys, tempfile, time
import numpy as np
from common import default_host, emit, flag, option

def digits(root):
    rows = np.array([list(map(int, l.split(","))) for l in gzip.open(os.path.join(root, "..", "shared", "data", "digits", "digits.csv.gz"), "rt").read().split()])
    x, y = rows[:, :64].reshape(-1, 1, 8, 8).astype(np.float32), rows[:, 64]
    return x[180:], y[180:], x[:180], y[:180]

def course_resnet(torch, nn, channels, act, norm):
    Act = nn.ReLU if act == "relu" else nn.SiLU
    def Norm(shape):
        return nn.BatchNorm2d(shape[0]) if norm == "batch" else nn.LayerNorm(shape)
    class Block(nn.Module):
        def __init__(self, c, h, w):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, stride=1, padding=1, bias=False)
            self.norm1 = Norm([c, h, w])
            self.conv2 = nn.Conv2d(c, c, 3, stride=1, padding=1, bias=False)
            self.norm2 = Norm([c, h, w])
            self.act = Act()
        def forward(self, x):
            return self.act(x + self.norm2(self.conv2(self.act(self.norm1(self.conv1(x))))))
    class ResNet(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(1, c, 3, stride=2, padding=1, bias=False)
            self.norm1 = Norm([c, 4, 4])
            self.act = Act()
            self.pool = nn.MaxPool2d(2)
            self.block = Block(c, 2, 2)
            self.head = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(c, 10)
        def forward(self, x):
            x = self.pool(self.act(self.norm1(self.conv1(x))))
            return self.fc(self.head(self.block(x)).flatten(1))
    return ResNet(channels)

def fit_and_validate(torch, net, train, val, epochs, lr=0.005, batch=16):
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss_func = torch.nn.CrossEntropyLoss()
    def epoch_loss(x, y):
        total = 0.0
        for i in range(0, len(y), batch):
            total += loss_func(net(x[i:i + batch]), y[i:i + batch]).item() * len(y[i:i + batch])
        return total / len(y)
    def measure():
        net.eval()
        with torch.no_grad():
            t, v = epoch_loss(*train), epoch_loss(*val)
            accuracy = (net(val[0]).argmax(1) == val[1]).float().mean().item()
        return t, v, accuracy
    curve = [measure()]
    x, y = train
    for _ in range(epochs):
        net.train()
        for i in range(0, len(y), batch):
            loss = loss_func(net(x[i:i + batch]), y[i:i + batch])
            opt.zero_grad(); loss.backward(); opt.step()
        curve.append(measure())
    return curve

def main():
    import torch, torch.nn as nn
    args = sys.argv[1:]
    as_json = flag(args, "--json")
    epochs = int(option(args, "--epochs", "30"))
    fixtures = option(args, "--fixtures", None)
    combos = option(args, "--combos", "relu-batch,relu-layer,silu-batch,silu-layer").split(",")
    counts = [int(t) for t in option(args, "--threads", "1,2").split(",")]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    host = args[0] if args else default_host()
    say = (lambda *a: None) if as_json else print
    xt, yt, xv, yv = digits(root)
    train = (torch.tensor(xt), torch.tensor(yt))
    val = (torch.tensor(xv), torch.tensor(yv))
    work = tempfile.mkdtemp(prefix="resnet-bench-")
    say(f"hw3 ResNet on digits, C = 16, {epochs} epochs, SGD 0.005, batch 16; PyTorch {torch.__version__}")
    ratios, figures = [], {"epochs": epochs, "threads": counts, "combos": {}}
    for index, combo in enumerate(combos):
        act, norm = combo.split("-")
        torch.manual_seed(index)
        net = course_resnet(torch, nn, 16, act, norm)
        weights = os.path.join(fixtures, combo) if fixtures else os.path.join(work, combo)
        os.makedirs(weights, exist_ok=True)
        for name, p in net.named_parameters():
            np.save(os.path.join(weights, name + ".npy"), p.detach().numpy().astype(np.float32))
        initial = {k: v.clone() for k, v in net.state_dict().items()}
        times, curves = {}, {}
        for threads in counts:
            net.load_state_dict(initial)
            torch.set_num_threads(threads)
            start = time.perf_counter()
            curves[threads] = fit_and_validate(torch, net, train, val, epochs)
            times[threads] = time.perf_counter() - start
        curve = curves[counts[0]]
        if fixtures:
            with open(os.path.join(weights, "pytorch_curve.csv"), "w") as f:
                f.write("epoch,train_loss,validation_loss,validation_accuracy\n")
                for e, (t, v, a) in enumerate(curve):
                    f.write(f"{e},{t!r},{v!r},{a!r}\n")
        out = os.path.join(work, "run-" + combo)
        ours = {}
        for threads in counts:
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            subprocess.run([host, "run", "ResNet", "digits", "--act", act, "--norm", norm, "--epochs", str(epochs), "--init-weights", weights,
                            "--threads", str(threads), "--quiet", "--out", out], check=True, capture_output=True)
            ours[threads] = time.perf_counter() - start
        rows = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
        mine = [(float(r["train_loss"]), float(r["validation_loss"]), float(r["validation_accuracy"])) for r in rows]
        def largest_difference(one, other):
            return max(max(abs(a - b) / max(abs(b), 1e-3) for a, b in zip(m[:2], p[:2])) for m, p in zip(one, other))
        diff = largest_difference(mine, curve)
        noise = largest_difference(curves[counts[-1]], curve) if len(counts) > 1 else None
        best_theirs, best_ours = min(times.values()), min(ours.values())
        ratios.append(best_theirs / best_ours)
        figures["combos"][combo] = {"ours_s": ours, "theirs_s": times, "best_ours_s": best_ours, "best_theirs_s": best_theirs,
                                    "ratio": best_theirs / best_ours, "loss_difference": diff, "pytorch_noise": noise}
        say(f"{combo:11s} final train/val/acc ours {mine[-1][0]:.4f}/{mine[-1][1]:.4f}/{mine[-1][2]:.3f}  PyTorch {curve[-1][0]:.4f}/{curve[-1][1]:.4f}/{curve[-1][2]:.3f}"
            f"  largest relative loss difference {diff:.1e}" + (f" (PyTorch {counts[-1]} threads against {counts[0]}: {noise:.1e})" if noise is not None else ""))
        say(f"{'':11s} time ours " + " ".join(f"{ours[t]:.2f} s ({t}{' thread' + 's' * (t != 1) if i == 0 else ''})" for i, t in enumerate(counts))
            + "  PyTorch " + " ".join(f"{times[t]:.2f} s ({t})" for t in counts)
            + f"  ratio {best_theirs / best_ours:.1f}x (best of each, whole command for ours)")
    say(f"ratio over the combinations: {min(ratios):.1f}x to {max(ratios):.1f}x")
    figures["ours_total_s"] = sum(c["best_ours_s"] for c in figures["combos"].values())
    figures["theirs_total_s"] = sum(c["best_theirs_s"] for c in figures["combos"].values())
    figures["ratio"] = figures["theirs_total_s"] / figures["ours_total_s"]
    if as_json:
        emit(figures)
    shutil.rmtree(work, ignore_errors=True)

main()
