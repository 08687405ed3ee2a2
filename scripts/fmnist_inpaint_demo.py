#!/usr/bin/env python3
"""The Fashion-MNIST inpainting demo's inputs and figure (issue 14; docs/results.md).
Standard library only (no numpy or PIL on a bare machine).

    python3 scripts/fmnist_inpaint_demo.py prepare known.npz --images 8 --repeats 4
        the first 8 test images, each repeated 4 times: npz `x`, uint8 [32, 1, 28, 28],
        what `hold-sample --inpaint known.npz --n 32` reads (pixels, [0, 255])
    python3 scripts/fmnist_inpaint_demo.py figure out.png known.npz \\
        --panel left-half:runs/a/samples.npz --panel center-square:runs/b/samples.npz --repeats 4
        per panel and test image one row: the original, the input with the hidden
        part grey, then its `repeats` completions (samples.npz `images`, uint8 NHWC)

The masks are hold-sample's presets (lib/io/inpaint_inputs.cpp): `left-half`
hides columns [0, W/2); `center-square` hides rows and columns [H/4, H/4 + H/2).
"""
import argparse
import gzip
import os
import struct
import sys
import zipfile

from png_montage import write_grey_scaled  # scripts/png_montage.py

DATA_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
GREY = 128  # the hidden part of an input
GAP = 8     # pixels between panels (before scaling)


def read_test_images(data_dir, count):
    """The first `count` test images as a list of 28*28 bytes objects."""
    with open(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        data = gzip.decompress(f.read())
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x00000803 or count > n:
        sys.exit(f"error: not an IDX image file with {count} images: {data_dir} (--data-dir)")
    size = rows * cols
    return [data[16 + i * size:16 + (i + 1) * size] for i in range(count)], rows, cols


def npy_uint8(shape, payload):
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (%s), }" % ", ".join(str(s) for s in shape)
    header += " " * ((-(10 + len(header) + 1)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


def read_npz_uint8(path, name):
    """(shape, bytes) of a uint8 array of an npz file."""
    with zipfile.ZipFile(path) as z:
        raw = z.read(name + ".npy")
    header_len = struct.unpack("<H", raw[8:10])[0]
    header = raw[10:10 + header_len].decode("latin1")
    if "'|u1'" not in header:
        sys.exit(f"error: {path}: array '{name}' is not uint8")
    shape = tuple(int(s) for s in header.split("(")[1].split(")")[0].split(",") if s.strip())
    return shape, raw[10 + header_len:]


def hidden(mask, r, c, h, w):
    if mask == "left-half":
        return c < w // 2
    if mask == "center-square":
        return h // 4 <= r < h // 4 + h // 2 and w // 4 <= c < w // 4 + w // 2
    sys.exit(f"error: unknown mask '{mask}': left-half or center-square (--panel)")


def prepare(args):
    images, h, w = read_test_images(args.data_dir, args.images)
    payload = b"".join(img for img in images for _ in range(args.repeats))
    body = npy_uint8((args.images * args.repeats, 1, h, w), payload)
    tmp = args.out + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("x.npy", body)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {args.images} test images x {args.repeats}")


def figure(args):
    shape, known = read_npz_uint8(args.known, "x")
    n, _, h, w = shape
    r = args.repeats
    images = n // r
    panels = []
    for spec in args.panel:
        mask, _, path = spec.partition(":")
        s_shape, samples = read_npz_uint8(path, "images")
        if s_shape[0] != n or s_shape[1:3] != (h, w):
            sys.exit(f"error: {path}: images {s_shape} do not match {args.known}'s {shape} (--panel)")
        panels.append((mask, samples))
    cell = w + 2
    panel_w = (2 + r) * cell
    width = len(panels) * panel_w + (len(panels) - 1) * GAP
    height = images * (h + 2)
    canvas = [bytearray([255] * width) for _ in range(height)]
    for p, (mask, samples) in enumerate(panels):
        x0 = p * (panel_w + GAP)
        for i in range(images):
            original = known[i * r * h * w:(i * r + 1) * h * w]
            tiles = [lambda rr, cc: original[rr * w + cc],
                     lambda rr, cc: GREY if hidden(mask, rr, cc, h, w) else original[rr * w + cc]]
            for j in range(r):
                base = (i * r + j) * h * w
                tiles.append(lambda rr, cc, base=base: samples[base + rr * w + cc])
            for k, pixel in enumerate(tiles):
                for rr in range(h):
                    row = canvas[i * (h + 2) + 1 + rr]
                    for cc in range(w):
                        row[x0 + k * cell + 1 + cc] = pixel(rr, cc)
    write_grey_scaled(args.out, width, canvas, args.scale)
    print(f"wrote {args.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("out")
    p.add_argument("--images", type=int, default=8)
    p.add_argument("--repeats", type=int, default=4)
    p.add_argument("--data-dir", default=DATA_DIR)
    f = sub.add_parser("figure")
    f.add_argument("out")
    f.add_argument("known")
    f.add_argument("--panel", action="append", required=True, help="MASK:SAMPLES.npz")
    f.add_argument("--repeats", type=int, default=4)
    f.add_argument("--scale", type=int, default=2)
    args = parser.parse_args()
    prepare(args) if args.command == "prepare" else figure(args)


if __name__ == "__main__":
    main()
