#!/usr/bin/env python3
"""Writes the inflate fixtures of InflateStreamTests: text.l{1,6,9}.gz (Python's gzip, with a
file name in the header) and text.l{1,6,9}.zlib (Python's zlib) of the same 100,000 bytes, which
the test makes again (InflateStreamTests.fixtureData, the same generator):

    python3 Tests/PluginAPITests/Fixtures/inflate/make.py Tests/PluginAPITests/Fixtures/inflate

The data: 32,000 bytes of words from eight with a random byte now and then, then bytes that
repeat the one 32,000 back with a random byte about every 1,000 (back-references near the 32 KB
limit)."""
import gzip
import io
import os
import sys
import zlib

WORDS = [b"the", b"of", b"and", b"to", b"in", b"is", b"was", b"for"]


class LCG:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % 2**64
        return self.s >> 33


def fixture_data(n=100_000, seed=23):
    g, out = LCG(seed), bytearray()
    while len(out) < 32_000:
        if g.next() % 16 == 0:
            out.append(g.next() & 0xFF)
        else:
            out += WORDS[g.next() % len(WORDS)] + b" "
    del out[32_000:]
    while len(out) < n:
        out.append(g.next() & 0xFF if g.next() % 1000 == 0 else out[-32_000])
    return bytes(out)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    data = fixture_data()
    print(f"{len(data)} bytes, CRC-32 {zlib.crc32(data):08x}")
    for level in (1, 6, 9):
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="text.bin", mode="wb", fileobj=buffer, mtime=0, compresslevel=level) as f:
            f.write(data)
        for name, contents in ((f"text.l{level}.gz", buffer.getvalue()), (f"text.l{level}.zlib", zlib.compress(data, level))):
            with open(os.path.join(folder, name), "wb") as out:
                out.write(contents)
            print(name, len(contents))


if __name__ == "__main__":
    main()
