#!/usr/bin/env python3
"""ResNet18 training throughput at batch 128 on random 32x32x3 data: PyTorch CPU against
`host run ResNet throughput`, on this machine in this run.

    /path/to/venv/bin/python bench/resnet18.py [path/to/host] [--arch course|standard|both] [--steps 3] [--threads 2] [--json]
    /path/to/venv/bin/python bench/resnet18.py --fixture Tests/Fixtures/resnet18

For each architecture it times `steps` training steps (forward, cross-entropy, backward, SGD
with momentum 0.9) after one warm-up step, then one evaluation pass without gradients, in
PyTorch and in our host (same thread count), and prints images per second, the ratio, and the
peak resident memory of each process. Without PyTorch it prints ours and says why. --json
prints one JSON line of the same figures instead of the table. With
--fixture it writes PyTorch's logits and losses for deterministic weights, which the tests
compare ours against.
"""
import json, os, resource, subprocess, sys, time
from common import default_host, emit, flag, option

def course_resnet18(nn, F, torch):
    class PreActBlock(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.bn1 = nn.BatchNorm2d(cin)
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False))
        def forward(self, x):
            out = F.relu(self.bn1(x))
            shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
            out = self.conv1(out)
            out = self.conv2(F.relu(self.bn2(out)))
            return out + shortcut
    class ResNet18(nn.Module):
        def __init__(self, classes=10):
            super().__init__()
            self.prep = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
            def layer(cin, cout, stride):
                return nn.Sequential(PreActBlock(cin, cout, stride), PreActBlock(cout, cout, 1))
            self.layers = nn.Sequential(layer(64, 64, 1), layer(64, 128, 2), layer(128, 256, 2), layer(256, 256, 2))
            self.classifier = nn.Linear(512, classes)
        def forward(self, x):
            x = self.layers(self.prep(x))
            x = torch.cat([F.adaptive_avg_pool2d(x, (1, 1)), F.adaptive_max_pool2d(x, (1, 1))], dim=-1)
            return self.classifier(x.view(x.size(0), -1))
    return ResNet18()

def standard_resnet18(nn, F, torch):
    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))
    class ResNet18(nn.Module):
        def __init__(self, classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            def layer(cin, cout, stride):
                return nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1))
            self.layer1, self.layer2 = layer(64, 64, 1), layer(64, 128, 2)
            self.layer3, self.layer4 = layer(128, 256, 2), layer(256, 512, 2)
            self.linear = nn.Linear(512, classes)
        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
            return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))
    return ResNet18()

def torch_worker(arch, steps, threads, batch):
    """Runs in a child process so its peak memory is its own."""
    import torch, torch.nn as nn, torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = (course_resnet18 if arch == "course" else standard_resnet18)(nn, F, torch)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    net.eval()
    start = time.perf_counter()
    with torch.no_grad():
        net(x)
    evaluation = time.perf_counter() - start
    print(json.dumps({"images_per_second": batch * steps / seconds, "eval_seconds": evaluation,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000}))

def ours(host, arch, steps, threads, batch):
    out = subprocess.run([host, "run", "ResNet", "throughput", "--arch", arch, "--steps", str(steps), "--batch-size", str(batch),
                          "--threads", str(threads), "--json", "--quiet", "--out", f"/tmp/resnet18-bench-{arch}-{time.time_ns()}"],
                         capture_output=True, text=True, check=True)
    metrics = json.loads(out.stdout)["metrics"]
    return {"images_per_second": metrics["train_images_per_second"], "eval_seconds": metrics["eval_seconds"],
            "peak_rss_mb": metrics["peak_rss_mb"]}

def main():
    args = sys.argv[1:]
    if args and args[0] == "--fixture":
        write_fixture(args[1])
        return
    if args and args[0] == "--worker":
        torch_worker(args[1], int(args[2]), int(args[3]), int(args[4]))
        return
    as_json = flag(args, "--json")
    arch, steps = option(args, "--arch", "both"), int(option(args, "--steps", "3"))
    threads, batch = int(option(args, "--threads", "2")), int(option(args, "--batch", "128"))
    host = args[0] if args else default_host()
    say = (lambda *a: None) if as_json else print
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        say("PyTorch is not installed here: printing our figures only")
    say(f"batch {batch}, {steps} timed steps after one warm-up, {threads} threads")
    say(f"{'arch':<9} {'ours img/s':>10} {'torch img/s':>11} {'ratio':>6} {'ours eval s':>11} {'torch eval s':>12} {'ours RSS MB':>11} {'torch RSS MB':>12}")
    figures = {"batch": batch, "steps": steps, "threads": threads, "archs": {}}
    for a in (["course", "standard"] if arch == "both" else [arch]):
        mine = ours(host, a, steps, threads, batch)
        theirs = None
        if have_torch:
            out = subprocess.run([sys.executable, __file__, "--worker", a, str(steps), str(threads), str(batch)], capture_output=True, text=True, check=True)
            theirs = json.loads(out.stdout.strip().splitlines()[-1])
        t = theirs or {"images_per_second": float("nan"), "eval_seconds": float("nan"), "peak_rss_mb": float("nan")}
        figures["archs"][a] = {"ours": mine, "theirs": theirs, "ratio": mine["images_per_second"] / theirs["images_per_second"] if theirs else None}
        say(f"{a:<9} {mine['images_per_second']:>10.1f} {t['images_per_second']:>11.1f} {mine['images_per_second'] / t['images_per_second']:>6.2f}"
            f" {mine['eval_seconds']:>11.2f} {t['eval_seconds']:>12.2f} {mine['peak_rss_mb']:>11.0f} {t['peak_rss_mb']:>12.0f}")
    if as_json:
        emit(figures)


def fixture_weights(net, torch):
    """Deterministic weights both sides compute: see Tests/ResNetTests/ResNet18AgreementTests.swift."""
    with torch.no_grad():
        for k, (name, p) in enumerate(net.named_parameters()):
            i = torch.arange(p.numel(), dtype=torch.float64)
            s = torch.sin(0.7 * i + k)
            if p.dim() >= 2:
                v = s / (p.numel() / p.shape[0]) ** 0.5
            elif name.endswith("weight"):
                v = 1 + 0.1 * s
            else:
                v = 0.1 * s
            p.copy_(v.reshape(p.shape).float())

def write_fixture(folder):
    """PyTorch's logits for a fixed input before and after two SGD steps, per architecture."""
    import torch, torch.nn as nn, torch.nn.functional as F
    torch.set_num_threads(1)
    os.makedirs(folder, exist_ok=True)
    out = {}
    for arch in ["course", "standard"]:
        net = (course_resnet18 if arch == "course" else standard_resnet18)(nn, F, torch)
        fixture_weights(net, torch)
        x = torch.sin(0.013 * torch.arange(4 * 3072, dtype=torch.float64)).float().reshape(4, 3, 32, 32)
        y = torch.tensor([3, 1, 4, 1])
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        record = {"train_logits_before": net(x).detach().flatten().tolist()}
        losses = []
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        record["losses"] = losses
        net.eval()
        with torch.no_grad():
            record["eval_logits_after"] = net(x).flatten().tolist()
        out[arch] = record
    with open(os.path.join(folder, "resnet18.json"), "w") as f:
        json.dump(out, f)

if __name__ == "__main__":
    main()
