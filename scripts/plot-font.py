#!/usr/bin/env python3
"""Regenerates the glyph outlines the plot rasteriser draws text with.

    python3 scripts/plot-font.py [DejaVuSansCondensed.ttf] [DejaVuSansCondensed-Bold.ttf]

Reads the two TrueType files (default: Debian's fonts-dejavu-core paths) with a small parser
of its own (cmap formats 4 and 12, head, hhea, hmtx, loca, glyf with composite glyphs) and
writes Sources/PluginAPI/Sources/Plots/Raster/PlotFontData.swift: for each
character of CHARS, one line "hex-code-point advance outline", the outline in font units
(y up) as commands M (move), L (line), Q (quadratic: control, end) and Z, every number
relative to the previous point. DejaVu's licence (Bitstream Vera, changes public domain)
asks for its notice in every copy; the generated file carries it. The condensed faces are
used because their widths are close to Helvetica's and Arial's, which the plots' layout
assumes (SVGCanvas.textWidth) and browsers use.
"""
import os, struct, sys

# ASCII, then the non-ASCII characters the plugins' labels use, and a few common ones.
CHARS = [chr(c) for c in range(32, 127)] + list(
    "±…∞–—×≈·°²³µ’‘“”−≤≥≠→←√ÅÄÖÜäöüéèàçñ"
    "αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΦΨΩ"
) + ["\u0302", "\u0304"]  # combining circumflex (ŷ) and macron (W̄)

NOTICE = """// Glyph outlines from DejaVu Sans Condensed and DejaVu Sans Condensed Bold 2.37, written by
// scripts/plot-font.py (do not edit). Fonts are (c) Bitstream (see below); DejaVu changes are
// in the public domain.
//
// Copyright (c) 2003 by Bitstream, Inc. All Rights Reserved. Bitstream Vera is a trademark of
// Bitstream, Inc.
//
// Permission is hereby granted, free of charge, to any person obtaining a copy of the fonts
// accompanying this license ("Fonts") and associated documentation files (the "Font
// Software"), to reproduce and distribute the Font Software, including without limitation the
// rights to use, copy, merge, publish, distribute, and/or sell copies of the Font Software,
// and to permit persons to whom the Font Software is furnished to do so, subject to the
// following conditions:
//
// The above copyright and trademark notices and this permission notice shall be included in
// all copies of one or more of the Font Software typefaces.
//
// The Font Software may be modified, altered, or added to, and in particular the designs of
// glyphs or characters in the Fonts may be modified and additional glyphs or characters may
// be added to the Fonts, only if the fonts are renamed to names not containing either the
// words "Bitstream" or the word "Vera".
//
// This License becomes null and void to the extent applicable to Fonts or Font Software that
// has been modified and is distributed under the "Bitstream Vera" names.
//
// The Font Software may be sold as part of a larger software package but no copy of one or
// more of the Font Software typefaces may be sold by itself.
//
// THE FONT SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
// INCLUDING BUT NOT LIMITED TO ANY WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
// PURPOSE AND NONINFRINGEMENT OF COPYRIGHT, PATENT, TRADEMARK, OR OTHER RIGHT. IN NO EVENT
// SHALL BITSTREAM OR THE GNOME FOUNDATION BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, INCLUDING ANY GENERAL, SPECIAL, INDIRECT, INCIDENTAL, OR CONSEQUENTIAL DAMAGES,
// WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF THE USE OR
// INABILITY TO USE THE FONT SOFTWARE OR FROM OTHER DEALINGS IN THE FONT SOFTWARE.
//
// Except as contained in this notice, the names of Gnome, the Gnome Foundation, and Bitstream
// Inc., shall not be used in advertising or otherwise to promote the sale, use or other
// dealings in this Font Software without prior written authorization from the Gnome
// Foundation or Bitstream Inc., respectively. For further information, contact: fonts at
// gnome dot org.
"""


class Font:
    def __init__(self, path):
        self.data = open(path, "rb").read()
        d = self.data
        n = struct.unpack_from(">H", d, 4)[0]
        self.tables = {}
        for i in range(n):
            tag, _, off, length = struct.unpack_from(">4sIII", d, 12 + 16 * i)
            self.tables[tag.decode()] = (off, length)
        head = self.tables["head"][0]
        self.upem = struct.unpack_from(">H", d, head + 18)[0]
        self.long_loca = struct.unpack_from(">h", d, head + 50)[0] == 1
        self.num_glyphs = struct.unpack_from(">H", d, self.tables["maxp"][0] + 4)[0]
        hhea = self.tables["hhea"][0]
        self.ascender, self.descender = struct.unpack_from(">hh", d, hhea + 4)
        n_metrics = struct.unpack_from(">H", d, hhea + 34)[0]
        hmtx = self.tables["hmtx"][0]
        self.advance = [struct.unpack_from(">H", d, hmtx + 4 * min(i, n_metrics - 1))[0]
                        for i in range(self.num_glyphs)]
        loca = self.tables["loca"][0]
        if self.long_loca:
            self.loca = [struct.unpack_from(">I", d, loca + 4 * i)[0] for i in range(self.num_glyphs + 1)]
        else:
            self.loca = [2 * struct.unpack_from(">H", d, loca + 2 * i)[0] for i in range(self.num_glyphs + 1)]
        self.cmap = self.read_cmap()

    def read_cmap(self):
        d = self.data
        base = self.tables["cmap"][0]
        n = struct.unpack_from(">H", d, base + 2)[0]
        best = None
        for i in range(n):
            pid, eid, off = struct.unpack_from(">HHI", d, base + 4 + 8 * i)
            fmt = struct.unpack_from(">H", d, base + off)[0]
            if pid == 3 and fmt == 12:
                best = (12, base + off)
            elif pid == 3 and eid == 1 and fmt == 4 and best is None:
                best = (4, base + off)
        fmt, at = best
        out = {}
        if fmt == 12:
            groups = struct.unpack_from(">I", d, at + 12)[0]
            for g in range(groups):
                start, end, glyph = struct.unpack_from(">III", d, at + 16 + 12 * g)
                for c in range(start, end + 1):
                    out[c] = glyph + c - start
            return out
        segs = struct.unpack_from(">H", d, at + 6)[0] // 2
        ends = at + 14
        starts = ends + 2 * segs + 2
        deltas = starts + 2 * segs
        ranges = deltas + 2 * segs
        for s in range(segs):
            end = struct.unpack_from(">H", d, ends + 2 * s)[0]
            start = struct.unpack_from(">H", d, starts + 2 * s)[0]
            delta = struct.unpack_from(">h", d, deltas + 2 * s)[0]
            ro = struct.unpack_from(">H", d, ranges + 2 * s)[0]
            for c in range(start, end + 1):
                if c == 0xFFFF:
                    continue
                if ro == 0:
                    g = (c + delta) & 0xFFFF
                else:
                    g = struct.unpack_from(">H", d, ranges + 2 * s + ro + 2 * (c - start))[0]
                    if g:
                        g = (g + delta) & 0xFFFF
                if g:
                    out[c] = g
        return out

    def contours(self, glyph):
        """The glyph's contours as lists of (x, y, on_curve)."""
        d = self.data
        start, end = self.loca[glyph], self.loca[glyph + 1]
        if start == end:
            return []
        at = self.tables["glyf"][0] + start
        n = struct.unpack_from(">h", d, at)[0]
        at += 10
        if n >= 0:
            ends = list(struct.unpack_from(">%dH" % n, d, at))
            at += 2 * n
            at += 2 + struct.unpack_from(">H", d, at)[0]
            count = ends[-1] + 1 if ends else 0
            flags = []
            while len(flags) < count:
                f = d[at]; at += 1
                flags.append(f)
                if f & 8:
                    r = d[at]; at += 1
                    flags += [f] * r
            def coords(short, same):
                nonlocal at
                out, v = [], 0
                for f in flags:
                    if f & short:
                        dv = d[at]; at += 1
                        v += dv if f & same else -dv
                    elif not f & same:
                        v += struct.unpack_from(">h", d, at)[0]; at += 2
                    out.append(v)
                return out
            xs = coords(2, 16)
            ys = coords(4, 32)
            result, first = [], 0
            for e in ends:
                result.append([(xs[i], ys[i], bool(flags[i] & 1)) for i in range(first, e + 1)])
                first = e + 1
            return result
        result = []
        while True:
            flags, index = struct.unpack_from(">HH", d, at); at += 4
            if flags & 1:
                a, b = struct.unpack_from(">hh", d, at); at += 4
            else:
                a, b = struct.unpack_from(">bb", d, at); at += 2
            assert flags & 2, "point-matched components are not supported"
            m = (1.0, 0.0, 0.0, 1.0)
            if flags & 8:
                s = struct.unpack_from(">h", d, at)[0] / 16384; at += 2
                m = (s, 0.0, 0.0, s)
            elif flags & 0x40:
                sx, sy = struct.unpack_from(">hh", d, at); at += 4
                m = (sx / 16384, 0.0, 0.0, sy / 16384)
            elif flags & 0x80:
                m = tuple(v / 16384 for v in struct.unpack_from(">hhhh", d, at)); at += 8
            for c in self.contours(index):
                result.append([(round(m[0] * x + m[2] * y + a), round(m[1] * x + m[3] * y + b), on)
                               for x, y, on in c])
            if not flags & 0x20:
                break
        return result


def outline(contours):
    """Relative M/L/Q/Z commands for the contours."""
    parts = []
    pen = (0, 0)

    def emit(cmd, *pts):
        nonlocal pen
        nums = []
        for x, y in pts:
            nums += [x - pen[0], y - pen[1]]
            pen = (x, y)
        parts.append(cmd + ",".join(str(v) for v in nums))

    for c in contours:
        if len(c) < 2:
            continue
        # Start on an on-curve point (or the midpoint of two off-curve ones).
        k = next((i for i, p in enumerate(c) if p[2]), None)
        if k is None:
            a, b = c[-1], c[0]
            c = [((a[0] + b[0]) // 2, (a[1] + b[1]) // 2, True)] + c
            k = 0
        pts = c[k:] + c[:k]
        emit("M", pts[0][:2])
        ctrl = None
        for p in pts[1:] + [pts[0]]:
            if p[2]:
                if ctrl is None:
                    emit("L", p[:2])
                else:
                    emit("Q", ctrl, p[:2]); ctrl = None
            else:
                if ctrl is not None:
                    mid = ((ctrl[0] + p[0]) // 2, (ctrl[1] + p[1]) // 2)
                    emit("Q", ctrl, mid)
                ctrl = p[:2]
        parts.append("Z")
    return "".join(parts)


def face(path):
    f = Font(path)
    lines = []
    for ch in CHARS:
        g = f.cmap.get(ord(ch))
        if g is None:
            print("warning: %s has no U+%04X" % (path, ord(ch)), file=sys.stderr)
            continue
        lines.append("%x %d %s" % (ord(ch), f.advance[g], outline(f.contours(g))))
    return f, "\n".join(lines)


def main():
    regular = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf"
    bold = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf"
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = os.path.join(root, "Sources/PluginAPI/Sources/Plots/Raster/PlotFontData.swift")
    f, regular_text = face(regular)
    fb, bold_text = face(bold)
    assert f.upem == fb.upem
    with open(out, "w") as w:
        w.write(NOTICE)
        w.write("\n/// Outline data of the plot font: units per em, then one line per character.\n")
        w.write("enum PlotFontData {\n")
        w.write("    /// Font units per em.\n    static let unitsPerEm = %d.0\n" % f.upem)
        w.write("    /// DejaVu Sans Condensed: \"code-point(hex) advance outline\" per line.\n")
        w.write('    static let regular = """\n%s\n"""\n' % regular_text)
        w.write("    /// DejaVu Sans Condensed Bold, same format.\n")
        w.write('    static let bold = """\n%s\n"""\n' % bold_text)
        w.write("}\n")
    print("wrote %s (%d bytes)" % (out, os.path.getsize(out)))


if __name__ == "__main__":
    main()
