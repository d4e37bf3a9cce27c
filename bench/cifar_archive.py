#!/usr/bin/env python3
"""Writes a stand-in for cifar-10-binary.tar.gz as large and as hard to inflate as the real one.

    python3 bench/cifar_archive.py OUT.tar.gz [--records 10000] [--level 6]

The layout is the real archive's (cifar-10-batches-bin/ with five training batches, a test batch
of 3,073-byte records and batches.meta.txt; made by Python's tarfile and zlib, dynamic Huffman like
GNU gzip). The bytes are random with 7.5 bits of entropy each, so the 184 MB tar compresses to
about 173 MB, close to the real 170 MB; the images are noise, not CIFAR-10. Prints the MD5 to pass
to `host fetch cifar10 --archive OUT.tar.gz --md5 HEX`. For measuring the time and memory of
unpacking (CIFAR10.standInArchive's generated images compress to 25 MB, much easier to inflate).
"""
import argparse
import hashlib
import io
import os
import random
import tarfile

# Half the byte values twice as likely as the others: 7.5 bits per byte.
TABLE = bytes(b if b < 128 else b & 0xFE for b in range(256))
NAMES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
CLASSES = "airplane automobile bird cat deer dog frog horse ship truck".split()


def batch(records, rng):
    data = bytearray(os.urandom(records * 3073).translate(TABLE))
    for r in range(records):
        data[r * 3073] = rng.randrange(10)  # the label byte
    return bytes(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--level", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(1)
    with tarfile.open(args.out, "w:gz", compresslevel=args.level, format=tarfile.GNU_FORMAT) as tar:
        members = [(name, batch(args.records, rng)) for name in NAMES]
        members.append(("batches.meta.txt", ("\n".join(CLASSES) + "\n").encode()))
        for name, contents in members:
            info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
            info.size = len(contents)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(contents))
    md5 = hashlib.md5()
    with open(args.out, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
    print(f"{args.out}: {os.path.getsize(args.out)} bytes, MD5 {md5.hexdigest()}")


if __name__ == "__main__":
    main()
