#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus: small VALID files for every reader, under fuzz/corpus/<reader>/.

Deterministic (fixed seeds), a few KB each. NumPy is used for the .npy seeds when present (so
they are what numpy.save writes); everything else is written with the standard library.
Run from the repository root: python3 scripts/make_fuzz_corpus.py
"""
import gzip
import io
import os
import random
import struct
import tarfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")
rng = random.Random(18)


def put(reader, name, data):
    folder = os.path.join(ROOT, reader)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy_bytes(descr, shape, raw, fortran=False, version=(1, 0)):
    shape_text = "()" if not shape else "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    pre = 10 if version[0] == 1 else 12
    header += " " * ((64 - (pre + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version[0] == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes(version) + size + header.encode("latin1") + raw


def npy():
    try:
        import numpy as np
        for name, array in [("f4_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3) / 7),
                            ("f8_5.npy", np.array([1e300, -0.0, 0.5, 3, -2], dtype="<f8")),
                            ("i8_scalar.npy", np.array(42, dtype="<i8")),
                            ("u1_4x4.npy", np.arange(16, dtype="u1").reshape(4, 4)),
                            ("b1_3.npy", np.array([True, False, True])),
                            ("i2_empty.npy", np.zeros((0, 3), dtype="<i2"))]:
            buffer = io.BytesIO()
            np.save(buffer, array)
            put("npy", name, buffer.getvalue())
    except ImportError:
        put("npy", "f4_2x3.npy", npy_bytes("<f4", [2, 3], struct.pack("<6f", *[i / 7 for i in range(6)])))
    put("npy", "v2_i4_3.npy", npy_bytes("<i4", [3], struct.pack("<3i", -1, 0, 7), version=(2, 0)))
    put("npy", "v3_u2_2x2.npy", npy_bytes("<u2", [2, 2], struct.pack("<4H", 1, 2, 3, 65535), version=(3, 0)))


def idx():
    def encode(shape, values):
        return bytes([0, 0, 8, len(shape)]) + b"".join(struct.pack(">I", n) for n in shape) + bytes(values)
    put("idx", "images_3x4x5", encode([3, 4, 5], [rng.randrange(256) for _ in range(60)]))
    put("idx", "labels_10", encode([10], [i % 10 for i in range(10)]))
    put("idx", "images_2x1x3x3", encode([2, 1, 3, 3], range(18)))


def pgm():
    put("pgm", "p5_8bit.pgm", b"P5\n# a comment\n6 4\n255\n" + bytes(rng.randrange(256) for _ in range(24)))
    put("pgm", "p5_16bit.pgm", b"P5 3 2 65535\n" + b"".join(struct.pack(">H", rng.randrange(65536)) for _ in range(6)))
    put("pgm", "p2_plain.pgm", b"P2\n3 3\n15\n0 1 2\n3 4 5\n6 7 15\n")


def cifar():
    record = lambda label: bytes([label]) + bytes(rng.randrange(256) for _ in range(3072))
    put("cifar", "one_record.bin", record(3))
    put("cifar", "two_records.bin", record(0) + record(9))


def tar_bytes(members, fmt=tarfile.USTAR_FORMAT):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    body = buffer.getvalue().rstrip(b"\0")             # drop tarfile's blocking-factor padding,
    body += bytes(-len(body) % 512)                     # keep whole records
    return body + bytes(1024)                           # and the end-of-archive marker


def tar():
    put("tar", "ustar.tar", tar_bytes([("cifar-10-batches-bin", None), ("cifar-10-batches-bin/readme.txt", b"hello\n" * 20),
                                       ("cifar-10-batches-bin/data_batch_1.bin", bytes(range(256)) * 3)]))
    put("tar", "gnu.tar", tar_bytes([("a/b/c.bin", bytes(700)), ("d.txt", b"x")], fmt=tarfile.GNU_FORMAT))


def gzip_files():
    text = b"the quick brown fox jumps over the lazy dog\n" * 30 + bytes(rng.randrange(256) for _ in range(300))
    put("gzip", "dynamic.gz", gzip.compress(text, compresslevel=9, mtime=0))
    put("gzip", "stored.gz", gzip.compress(bytes(rng.randrange(256) for _ in range(400)), compresslevel=0, mtime=0))
    put("gzip", "tar.gz", gzip.compress(tar_bytes([("cifar-10-batches-bin/test_batch.bin", bytes(3073))]), mtime=0))
    put("gzip", "zlib_dynamic.zlib", zlib.compress(text, 9))
    put("gzip", "zlib_fixed.zlib", zlib.compress(b"abcabcabcabc" * 10, 1))


def png_bytes(width, height, channels, filters):
    rows = b""
    for y in range(height):
        rows += bytes([filters[y % len(filters)]]) + bytes(rng.randrange(256) for _ in range(width * channels))
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def png():
    put("png", "gray_8x6.png", png_bytes(8, 6, 1, [0, 1, 2, 3, 4]))
    put("png", "rgb_5x4.png", png_bytes(5, 4, 3, [4, 3, 2, 1]))


if __name__ == "__main__":
    npy(); idx(); pgm(); cifar(); tar(); gzip_files(); png()
