#!/usr/bin/env python3
"""NumPy reference for `host run ResNet cifar-linear` and `cifar-embed` on the same folder:

    python3 bench/cifar_linear.py CIFAR_DIR [path/to/host] [--subset-train N]

Least squares (np.linalg.lstsq on [pixels/255, 1] -> one-hot) with training and validation
accuracy; PCA variance shares of the two leading components; the two leading canonical
correlations of pixels against one-hot labels (with the same relative ridge on the pixel
covariance as ours, 1e-4). Prints NumPy's figures beside ours and the times.
"""
import json, os, subprocess, sys, time
import numpy as np

def read(folder, names, limit):
    raw = np.concatenate([np.fromfile(os.path.join(folder, n), dtype=np.uint8).reshape(-1, 3073) for n in names])[:limit]
    return raw[:, 1:].astype(np.float64) / 255, raw[:, 0].astype(int)

def main():
    args = sys.argv[1:]
    limit = 50000
    if "--subset-train" in args:
        i = args.index("--subset-train"); limit = int(args[i + 1]); del args[i:i + 2]
    folder = args[0]
    host = args[1] if len(args) > 1 else ".build/release/host"
    x, y = read(folder, [f"data_batch_{i}.bin" for i in range(1, 6)], limit)
    xv, yv = read(folder, ["test_batch.bin"], 10000)
    start = time.perf_counter()
    onehot = np.eye(10)[y]
    w = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), onehot, rcond=None)[0]
    acc = lambda a, b: float(np.mean(np.argmax(np.hstack([a, np.ones((len(a), 1))]) @ w, axis=1) == b))
    lstsq = time.perf_counter() - start
    xc = x - x.mean(0)
    cov = xc.T @ xc
    eig = np.linalg.eigvalsh(cov)[::-1]
    yc = onehot - onehot.mean(0)
    sxx = cov + 1e-4 * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])
    sxy, syy = xc.T @ yc, yc.T @ yc
    lam, u = np.linalg.eigh(syy)
    keep = lam > 1e-9 * lam.max()
    syy_inv_root = (u[:, keep] / np.sqrt(lam[keep])) @ u[:, keep].T
    l = np.linalg.cholesky(sxx)
    a = np.linalg.solve(l, sxy) @ syy_inv_root
    rho = np.sqrt(np.clip(np.linalg.eigvalsh(a.T @ a)[::-1][:2], 0, None))
    reference = {"train_accuracy": acc(x, y), "validation_accuracy": acc(xv, yv), "pca_variance_share_1": eig[0] / eig.sum(),
                 "pca_variance_share_2": eig[1] / eig.sum(), "canonical_correlation_1": rho[0], "canonical_correlation_2": rho[1]}
    ours = {}
    for experiment in ["cifar-linear", "cifar-embed"]:
        t = time.perf_counter()
        out = subprocess.run([host, "run", "ResNet", experiment, "--cifar-dir", folder, "--subset-train", str(limit), "--json", "--quiet",
                              "--out", f"/tmp/{experiment}-ref-{time.time_ns()}"], capture_output=True, text=True, check=True)
        ours.update(json.loads(out.stdout)["metrics"])
        ours[experiment + " seconds"] = time.perf_counter() - t
    print(f"{len(x)} training and {len(xv)} validation images; NumPy lstsq took {lstsq:.1f} s")
    for key, value in reference.items():
        print(f"{key:<26} numpy {value:.6f}  ours {ours[key]:.6f}")
    print(f"ours: cifar-linear {ours['cifar-linear seconds']:.1f} s, cifar-embed {ours['cifar-embed seconds']:.1f} s (whole commands)")

if __name__ == "__main__":
    main()
