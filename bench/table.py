#!/usr/bin/env python3
"""The comparison table against NumPy and PyTorch, measured in one run on this machine.

    /work/torchenv/bin/python bench/table.py [--rounds 1] [--rows gemm,skinny,conv,resnet18,digits,parity,svm,autoencoder]
                                             [--host .build/release/host] [--threads 2] [--markdown]

Each row is one of the bench scripts, run as a subprocess with this interpreter and --json:

    gemm, skinny, conv  compare.py        `host bench` GEMM against NumPy's a @ b, conv2d against PyTorch's
    resnet18            resnet18.py --arch course   training images per second, batch 128
    digits              resnet_digits.py  the hw3 ResNet, 4 combinations x 30 epochs: the sums of each
                                          combination's best time over 1 and N threads
    parity              parity_train.py   50,000 steps at d = 30: training loop against training loop
    svm                 svm.py            XOR, 4 kernels x 10,000 steps: our whole command against PyTorch's loop
    autoencoder         autoencoder.py    ms per gradient step of the attractor fit

Both sides run on --threads threads (the digits row also on 1). The ratio is how many times
faster we are: their time / ours (for GFLOP/s and img/s, ours / theirs), so a ratio at or
above the target means the target holds. With --rounds N every script runs N times,
interleaved (all rows, then all rows again), and each cell is the median over the rounds; the
ratio is the median of the rounds' ratios with their min-max range in brackets. PyTorch's
times vary a lot on shared machines, so prefer --rounds 3 or more for a note. The header names
the CPU, the engine's kernel set and clock under load (from `host bench --json`), the thread
count and the peers' versions. --markdown prints the same as Markdown.
"""
import argparse, json, os, statistics, subprocess, sys, time
from collections import namedtuple
from importlib import metadata
from common import default_host

HERE = os.path.dirname(os.path.abspath(__file__))

def case(name, key):
    """One `host bench` case of compare.py's figures: (ours, theirs, ratio) in ms or GFLOP/s."""
    def pick(j):
        c = next(c for c in j["cases"] if c["name"] == name)
        return (c[key], c["peer_" + key], c["ratio"])
    return pick

def course(j):
    a = j["archs"]["course"]
    return (a["ours"]["images_per_second"], (a["theirs"] or {}).get("images_per_second"), a["ratio"])

# items: one function per figure in the row, from its script's JSON to (ours, theirs, ratio)
Row = namedtuple("Row", "key work script unit peer target items")

STAGE = "conv2d 3x3 64->64 (ResNet18 stage)"
ROWS = [
    Row("gemm", "SGEMM 512 / 1024 / 2048", "compare", "GFLOP/s", "NumPy", ">= 0.9", [case(f"gemm {n}", "gflops") for n in (512, 1024, 2048)]),
    Row("skinny", "GEMM skinny 100x300*300x300 / *300x100", "compare", "ms", "NumPy", ">= 0.9",
        [case("gemm skinny (100 x 300 -> 300)", "ms"), case("gemm skinny (100 x 300 -> 100)", "ms")]),
    Row("conv", "conv2d 3x3 64->64 (128,64,32,32) fwd / fwd+bwd", "compare", "ms", "PyTorch", ">= 1.5",
        [case(STAGE + " fwd", "ms"), case(STAGE + " fwd+bwd", "ms")]),
    Row("resnet18", "ResNet18 (course) training, batch 128", "resnet18", "img/s", "PyTorch", ">= 1.2",
        [course]),
    Row("digits", "hw3 ResNet on digits, 30 epochs", "digits", "s", "PyTorch", ">= 10x",
        [lambda j: (j["ours_total_s"], j["theirs_total_s"], j["ratio"])]),
    Row("parity", "Parity d = 30, 50,000 steps", "parity", "s", "PyTorch", ">= 10x", [lambda j: (j["ours_loop_s"], j["theirs_s"], j["ratio"])]),
    Row("svm", "SVM XOR, 4 kernels x 10,000 steps", "svm", "s", "PyTorch", ">= 10x", [lambda j: (j["xor"]["ours_s"], j["xor"]["theirs_s"], j["xor"]["ratio"])]),
    Row("autoencoder", "Autoencoder attractor step", "autoencoder", "ms", "PyTorch", ">= 3x",
        [lambda j: (j["ours_ms_per_step"], j["theirs_ms_per_step"], j["ratio"])]),
]

def script_command(script, keys, host, threads):
    """The subprocess for one script, with the options that make it do this table's work."""
    base = [host, "--json"]
    if script == "compare":
        # Only the cases the chosen rows need: `host bench` takes a name filter.
        only = [] if "conv" in keys and {"gemm", "skinny"} & keys else ["--filter", "gemm" if "conv" not in keys else STAGE]
        return ["compare.py", *base, "--threads", str(threads), *only]
    counts = "1" if threads == 1 else f"1,{threads}"
    return {"resnet18": ["resnet18.py", *base, "--arch", "course", "--threads", str(threads)],
            "digits": ["resnet_digits.py", *base, "--threads", counts],
            "parity": ["parity_train.py", *base, "--threads", str(threads)],
            "svm": ["svm.py", *base, "--threads", str(threads)],
            "autoencoder": ["autoencoder.py", *base, "--threads", str(threads)]}[script]

def run_script(command):
    """The script's last stdout line as JSON, or None (its stderr goes to ours) when it fails."""
    done = subprocess.run([sys.executable, os.path.join(HERE, command[0]), *command[1:]], capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        sys.stderr.write(f"{command[0]} failed (exit {done.returncode}):\n{done.stderr[-2000:]}\n")
        return None
    return json.loads(lines[-1])

def cpu_lines(host, threads, bench_runs):
    """The header: the CPU, what `host bench` reports about it, the thread count and the peers."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C")).stdout
        model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name:")), "?")
    except OSError:
        model = "? (no lscpu)"
    info = {}
    for line in open("/proc/cpuinfo").read().split("\n\n")[0].splitlines():
        if ":" in line:
            k, v = line.split(":", 1); info[k.strip()] = v.strip()
    flags = info.get("flags", "").split()
    wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16"]
    present, absent = [f for f in wanted if f in flags], [f for f in wanted if f not in flags]
    if not bench_runs:  # no GEMM or conv rows ran: ask `host bench` with one tiny case
        out = subprocess.run([host, "bench", "--json", "--threads", str(threads), "gemm skinny (batch 16"], capture_output=True, text=True, check=True).stdout
        bench_runs = [json.loads(out.splitlines()[0])]
    clocks = sorted(r["clock_mhz"] for r in bench_runs)
    clock = f"{clocks[0]:.0f} MHz" if len(clocks) == 1 else f"{statistics.median(clocks):.0f} MHz (runs: {', '.join(f'{c:.0f}' for c in clocks)})"
    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"
    blas = numpy_blas()
    blas = f" ({blas[0]} {blas[1]})" if blas else ""
    return [f"CPU: {model} ({info.get('vendor_id', '?')}, family {info.get('cpu family', '?')}, model {info.get('model', '?')})",
            f"vector extensions: {' '.join(present) or 'none'}" + (f" (absent: {' '.join(absent)})" if absent else ""),
            f"host bench: kernel set {bench_runs[0]['kernel_set']}, CPU seen as {bench_runs[0]['cpu']!r}, clock under load {clock}",
            f"threads: {threads} on each side; peers: PyTorch {version('torch')}, NumPy {version('numpy')}{blas}"]

def numpy_blas():
    """(name, version) of the BLAS NumPy was built with, or None."""
    try:
        import numpy
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return blas["name"], blas.get("version", "")
    except Exception:
        return None

def number(v):
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}" if v >= 1 else f"{v:.3f}"

def ratio_text(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"

def cells(row, figures, blas_name):
    """(ours, peer, ratio) cells of one row from each round's figures of its script."""
    rounds = [[item(j) for item in row.items] for j in figures if j is not None]
    if not rounds:
        return "failed", "failed", "-"
    ours, theirs, ratios = [], [], []
    for i in range(len(row.items)):
        values = [r[i] for r in rounds]
        def median(k):
            present = [v[k] for v in values if v[k] is not None]
            return statistics.median(present) if present else None
        ours.append(number(median(0))); theirs.append(number(median(1)))
        rs = sorted(v[2] for v in values if v[2] is not None)
        ratio = f"{ratio_text(statistics.median(rs))}x" if rs else "-"
        ratios.append(ratio + (f" ({ratio_text(rs[0])}-{ratio_text(rs[-1])})" if len(rs) > 1 else ""))
    peer = row.peer + (f" ({blas_name})" if row.key == "gemm" and blas_name else "")
    return f"{' / '.join(ours)} {row.unit}", f"{peer}: {' / '.join(theirs)} {row.unit}", " / ".join(ratios)

def main():
    parser = argparse.ArgumentParser(description="The comparison table against NumPy and PyTorch, in one run.")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--rows", default=",".join(r.key for r in ROWS))
    parser.add_argument("--host", default=default_host())
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--markdown", action="store_true")
    options = parser.parse_args()
    keys = set(options.rows.split(","))
    unknown = keys - {r.key for r in ROWS}
    if unknown:
        parser.error(f"unknown rows {', '.join(sorted(unknown))}; choose from {', '.join(r.key for r in ROWS)}")
    host = os.path.abspath(options.host)
    rows = [r for r in ROWS if r.key in keys]
    scripts = list(dict.fromkeys(r.script for r in rows))
    figures = {s: [] for s in scripts}
    start = time.perf_counter()
    for n in range(1, options.rounds + 1):
        for s in scripts:
            command = script_command(s, keys, host, options.threads)
            t = time.perf_counter()
            figures[s].append(run_script(command))
            print(f"round {n}/{options.rounds}: {' '.join(command[:1] + command[2:])} {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    minutes = (time.perf_counter() - start) / 60
    blas_name = (numpy_blas() or [None])[0]
    blas_name = "OpenBLAS" if blas_name and "openblas" in blas_name.lower() else blas_name
    header = cpu_lines(host, options.threads, [j for j in figures.get("compare", []) if j])
    header.append(f"{options.rounds} round{'s' * (options.rounds != 1)} in {minutes:.1f} min; ratio = how many times faster we are "
                  f"(their time / ours; ours / theirs for GFLOP/s and img/s)"
                  + ("; median over rounds, min-max in brackets" if options.rounds > 1 else ""))
    table = [["work", "ours", "peer", "ratio", "target"]] + [[r.work, *cells(r, figures[r.script], blas_name), r.target] for r in rows]
    if options.markdown:
        print("\n".join(f"- {line}" for line in header) + "\n")
        for i, line in enumerate(table):
            print("| " + " | ".join(line) + " |")
            if i == 0:
                print("|" + "|".join("---" for _ in line) + "|")
    else:
        print("\n".join(header) + "\n")
        widths = [max(len(line[c]) for line in table) for c in range(5)]
        for i, line in enumerate(table):
            print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
            if i == 0:
                print("-+-".join("-" * w for w in widths))
    return 0 if all(j is not None for runs in figures.values() for j in runs) else 1

if __name__ == "__main__":
    sys.exit(main())
