#!/usr/bin/env python3
"""Loads the checkpoints `host run` writes into the courses' PyTorch models and checks them.

    python3 scripts/pytorch-roundtrip.py [--host .build/release/host] [--cifar-dir DIR]

Needs PyTorch and NumPy (a virtual environment outside the repository; the product never needs
Python). For each assignment that saves a checkpoint, it makes a short run with `host`, loads
`checkpoint/` with `load_state_dict(strict=True)` into the model as the course's PyTorch code
defines it (every name and shape must match, BatchNorm's `num_batches_tracked` included), and
recomputes a figure of the run in PyTorch:

- ResNet `digits`: validation accuracy and mean cross-entropy on the 180 validation digits
  (data/digits, the first 180 images), against the run's last row of metrics.csv.
- Parity `train` (d = 5): the network's sign on all 32 inputs is a parity function
  (-1)^(v.x) for exactly one mask v, as the run's test accuracy of 1 says.
- Autoencoder `attractors`: the two-layer bias-free network (nn.Sequential) loads; f(0) = 0.
- SVM `cafe`: the softmax-regression nn.Linear loads; its shape is (6, pixels).
- ResNet `cifar-resnet18` and NNGP `cifar-fc` (with --cifar-dir): validation (test) accuracy,
  and ResNet18's loss, on the run's validation images, against metrics.csv.
Prints one line per check and exits 1 if any fails. docs/pytorch.md shows the loading code.
"""
import argparse, csv, gzip, json, math, pathlib, subprocess, sys, tempfile
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_state(folder):
    return {p.name[:-len(".npy")]: torch.from_numpy(np.load(p)) for p in pathlib.Path(folder).glob("*.npy")}


def last_row(run):
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    return rows[-1]


# The hw3 ResNet on digits, as the course's notebook defines it (ReLU, BatchNorm).
class Block(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.conv1 = nn.Conv2d(C, C, 3, padding=1, bias=False); self.norm1 = nn.BatchNorm2d(C)
        self.conv2 = nn.Conv2d(C, C, 3, padding=1, bias=False); self.norm2 = nn.BatchNorm2d(C)

    def forward(self, x):
        return F.relu(x + self.norm2(self.conv2(F.relu(self.norm1(self.conv1(x))))))


class DigitsResNet(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.conv1 = nn.Conv2d(1, C, 3, stride=2, padding=1, bias=False); self.norm1 = nn.BatchNorm2d(C)
        self.block = Block(C); self.fc = nn.Linear(C, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.norm1(self.conv1(x))), 2)
        return self.fc(F.adaptive_avg_pool2d(self.block(x), 1).flatten(1))


# The course's ResNet18 of HW7 problem 4 (pre-activation blocks, [avg, max] head).
class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin); self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout); self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False)) if stride != 1 or cin != cout else None

    def forward(self, x):
        out = F.relu(self.bn1(x))
        skip = self.shortcut(out) if self.shortcut is not None else x
        return self.conv2(F.relu(self.bn2(self.conv1(out)))) + skip


class ResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.prep = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        stages, c = [], 64
        for width, stride in [(64, 1), (128, 2), (256, 2), (256, 2)]:
            stages.append(nn.Sequential(PreActBlock(c, width, stride), PreActBlock(width, width, 1)))
            c = width
        self.layers = nn.Sequential(*stages)
        self.classifier = nn.Linear(512, classes)

    def forward(self, x):
        x = self.layers(self.prep(x))
        pooled = torch.cat([F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)], dim=-1)
        return self.classifier(pooled.flatten(1))


def read_idx(path):
    data = open(path, "rb").read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def close(a, b, digits=6):
    return math.isclose(float(a), float(b), rel_tol=10 ** -digits, abs_tol=10 ** -(digits + 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=str(ROOT / ".build/release/host"))
    parser.add_argument("--cifar-dir", help="CIFAR-10's binary version, for the ResNet18 check")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="pytorch-roundtrip-"))
    failures = 0

    def run(name, *options):
        folder = work / name
        subprocess.run([args.host, "run", *options, "--out", str(folder), "--quiet"], check=True, stdout=subprocess.DEVNULL)
        return folder

    def report(name, ok, text):
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {text}")

    # ResNet digits: the validation figures of the last epoch, recomputed in PyTorch.
    folder = run("digits", "ResNet", "digits", "--epochs", "2")
    model = DigitsResNet(16)
    model.load_state_dict(load_state(folder / "checkpoint"))
    model.eval()
    images = read_idx(ROOT / "data/digits/digits-images-idx3-ubyte")[:180].astype(np.float32)
    labels = torch.from_numpy(read_idx(ROOT / "data/digits/digits-labels-idx1-ubyte")[:180].astype(np.int64))
    with torch.no_grad():
        logits = model(torch.from_numpy(images).reshape(-1, 1, 8, 8))
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    loss = F.cross_entropy(logits, labels).item()
    row = last_row(folder)
    report("ResNet digits", close(accuracy, row["validation_accuracy"]) and close(loss, row["validation_loss"], 5),
           f"PyTorch validation accuracy {accuracy:.6g}, loss {loss:.6g}; the run's {float(row['validation_accuracy']):.6g}, {float(row['validation_loss']):.6g}")

    # Parity train, d = 5: the loaded network computes one parity function on all 32 inputs.
    folder = run("parity", "Parity", "train", "--d", "5", "--iters", "4000")
    net = nn.Module()
    net.hidden, net.output = nn.Linear(5, 50), nn.Linear(50, 1)
    net.load_state_dict(load_state(folder / "checkpoint"))
    x = torch.tensor([[(i >> j) & 1 for j in range(5)] for i in range(32)], dtype=torch.float32)
    with torch.no_grad():
        signs = torch.sign(net.output(F.relu(net.hidden(x)))).flatten()
    masks = [v for v in range(32) if all(signs[i] == (-1) ** bin(i & v).count("1") for i in range(32))]
    accuracy = json.load(open(folder / "summary.json"))["metrics"]["test_accuracy"]
    report("Parity train", len(masks) == 1 and accuracy == 1,
           f"signs on all 32 inputs match the parity of mask {masks} (run's test accuracy {accuracy})")

    # Autoencoder attractors: nn.Sequential(Linear(3072, h, bias=False), ReLU, Linear(h, 3072, bias=False)).
    folder = run("attractors", "Autoencoder", "attractors", "--max-steps", "300")
    state = load_state(folder / "checkpoint-one-image")
    hidden = state["0.weight"].shape[0]
    auto = nn.Sequential(nn.Linear(3072, hidden, bias=False), nn.ReLU(), nn.Linear(hidden, 3072, bias=False))
    auto.load_state_dict(state)
    with torch.no_grad():
        zero = auto(torch.zeros(1, 3072)).abs().max().item()
    report("Autoencoder attractors", zero == 0, f"strict load of {sorted(state)} (hidden {hidden}); f(0) = 0")

    # SVM cafe: softmax regression, one nn.Linear.
    folder = run("cafe", "SVM", "cafe", "--epochs", "3")
    state = load_state(folder / "checkpoint")
    linear = nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
    linear.load_state_dict(state)
    report("SVM cafe", linear.weight.shape[0] == 6, f"strict load into nn.Linear{tuple(linear.weight.shape[::-1])}")

    if args.cifar_dir:
        folder = run("resnet18", "ResNet", "cifar-resnet18", "--cifar-dir", args.cifar_dir, "--subset-train", "64",
                     "--subset-val", "32", "--batch-size", "16", "--epochs", "1")
        model = ResNet18()
        model.load_state_dict(load_state(folder / "checkpoint"))
        model.eval()
        raw = np.frombuffer(open(pathlib.Path(args.cifar_dir) / "test_batch.bin", "rb").read(), dtype=np.uint8).reshape(-1, 3073)[:32]
        labels = torch.from_numpy(raw[:, 0].astype(np.int64))
        mean, std = np.array([0.4914, 0.4822, 0.4465]), np.array([63.0, 62.1, 66.7]) / 255
        x = (raw[:, 1:].reshape(-1, 3, 32, 32) / 255.0 - mean[None, :, None, None]) / std[None, :, None, None]
        with torch.no_grad():
            logits = model(torch.tensor(x, dtype=torch.float32))
        accuracy = (logits.argmax(1) == labels).float().mean().item()
        loss = F.cross_entropy(logits, labels).item()
        row = last_row(folder)
        report("ResNet cifar-resnet18", close(accuracy, row["validation_accuracy"]) and close(loss, row["validation_loss"], 4),
               f"PyTorch validation accuracy {accuracy:.6g}, loss {loss:.6g}; the run's {float(row['validation_accuracy']):.6g}, {float(row['validation_loss']):.6g}")
        # NNGP cifar-fc: the width-w ReLU network, pixels / 255 as input, test accuracy.
        folder = run("cifar-fc", "NNGP", "cifar-fc", "--cifar-dir", args.cifar_dir, "--subset-train", "256",
                     "--subset-test", "200", "--epochs", "2")
        state = load_state(folder / "checkpoint")
        width = state["0.weight"].shape[0]
        fc = nn.Sequential(nn.Linear(3072, width, bias=False), nn.ReLU(), nn.Linear(width, 10, bias=False))
        fc.load_state_dict(state)
        raw = np.frombuffer(open(pathlib.Path(args.cifar_dir) / "test_batch.bin", "rb").read(), dtype=np.uint8).reshape(-1, 3073)[:200]
        with torch.no_grad():
            logits = fc(torch.tensor(raw[:, 1:] / 255.0, dtype=torch.float32))
        accuracy = (logits.argmax(1) == torch.from_numpy(raw[:, 0].astype(np.int64))).float().mean().item()
        row = last_row(folder)
        report("NNGP cifar-fc", close(accuracy, row["test_accuracy"]),
               f"PyTorch test accuracy {accuracy:.6g}; the run's {float(row['test_accuracy']):.6g} (width {width})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
