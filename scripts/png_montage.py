#!/usr/bin/env python3
"""Tiles PNG pictures (8-bit grey, RGB or RGBA, as hold's tools write them) into one
picture, each shrunk by an integer factor, for the small figures under docs/.
Standard library only (no numpy or PIL on a bare machine).
    python3 scripts/png_montage.py --cols 3 --shrink 2 OUT.png IN.png...
Pictures of different sizes are placed top-left in cells of the largest size.
"""
import argparse
import struct
import zlib


def read_png(path):
    """(width, height, rows of RGB bytes) of a non-interlaced 8-bit PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"error: not a PNG: {path}")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (0, 2, 6) or interlace:
                raise SystemExit(f"error: {path}: only 8-bit grey/RGB/RGBA non-interlaced PNGs are read")
            channels = {0: 1, 2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        unfilter(line, prev, filt, channels)
        rows.append(line)
        prev = line
    if channels == 4:  # drop alpha (hold's pictures are opaque)
        rows = [bytearray(b for i, b in enumerate(r) if i % 4 != 3) for r in rows]
    elif channels == 1:  # grey to RGB
        rows = [bytearray(b for v in r for b in (v, v, v)) for r in rows]
    return width, height, rows


def unfilter(line, prev, filt, bpp):
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if filt == 1:
            line[i] = (line[i] + a) & 255
        elif filt == 2:
            line[i] = (line[i] + b) & 255
        elif filt == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif filt == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255


def shrink(width, height, rows, k):
    """Box-filter average over k×k pixels."""
    w, h = width // k, height // k
    out = []
    for y in range(h):
        line = bytearray(w * 3)
        for x in range(w):
            for ch in range(3):
                total = sum(rows[y * k + dy][(x * k + dx) * 3 + ch] for dy in range(k) for dx in range(k))
                line[x * 3 + ch] = total // (k * k)
        out.append(line)
    return w, h, out


def write_png(path, width, height, rows, color=2):
    """rows of bytes -> an 8-bit PNG, written atomically; color: 2 RGB, 0 greyscale."""
    raw = b"".join(b"\x00" + bytes(r) for r in rows)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path + ".tmp", "wb") as f:
        f.write(png)
    import os
    os.replace(path + ".tmp", path)


def write_grey_scaled(path, width, canvas, scale):
    """A grey canvas (rows of `width` bytes), each pixel enlarged to scale×scale, as a PNG."""
    scaled = []
    for row in canvas:
        big = bytearray(v for v in row for _ in range(scale))
        scaled.extend(bytearray(big) for _ in range(scale))
    write_png(path, width * scale, len(canvas) * scale, scaled, color=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cols", type=int, default=3)
    parser.add_argument("--shrink", type=int, default=2)
    parser.add_argument("out")
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()
    pictures = [shrink(*read_png(p), args.shrink) for p in args.inputs]
    cell_w = max(p[0] for p in pictures)
    cell_h = max(p[1] for p in pictures)
    cols = min(args.cols, len(pictures))
    n_rows = (len(pictures) + cols - 1) // cols
    canvas = [bytearray(b"\xff" * (cell_w * cols * 3)) for _ in range(cell_h * n_rows)]
    for i, (w, h, rows) in enumerate(pictures):
        x0, y0 = (i % cols) * cell_w, (i // cols) * cell_h
        for y in range(h):
            canvas[y0 + y][x0 * 3:(x0 + w) * 3] = rows[y]
    write_png(args.out, cell_w * cols, cell_h * n_rows, canvas)


if __name__ == "__main__":
    main()
