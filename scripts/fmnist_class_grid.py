#!/usr/bin/env python3
"""The class-conditional Fashion-MNIST figure (issue 14; docs/results.md): one
row per class, one panel per guidance scale, side by side.
Standard library only (no numpy or PIL on a bare machine).

    python3 scripts/fmnist_class_grid.py out.png \\
        --panel runs/cfg_w0/class{c}/samples.npz --panel runs/cfg_w2/class{c}/samples.npz
        every panel: a path with {c} for the class (0 … --classes − 1), each
        file `hold-sample --class c` output (samples.npz `images`, uint8 NHWC,
        one channel); row c shows that file's first --per-row images
    python3 scripts/fmnist_class_grid.py out.png --classes 8 --per-row 8 \
        --panel runs/fd_hold/ei_20/samples.npz --panel runs/fd_hold/lt_20/samples.npz
        a path without {c}: one file, its first classes × per-row images row by row

Sampled with the same --seed, a panel's rows start from the same noise, so
panels differ only by what the guidance does.
"""
import argparse
import sys

from fmnist_inpaint_demo import read_npz_uint8  # scripts/fmnist_inpaint_demo.py
from png_montage import write_grey_scaled  # scripts/png_montage.py

GAP = 8  # pixels between panels (before scaling)


def read_images(path, count):
    """The first `count` one-channel images of an npz's `images` (h×w bytes each), and (h, w)."""
    shape, data = read_npz_uint8(path, "images")
    if len(shape) != 4 or shape[3] != 1 or shape[0] < count:
        sys.exit(f"error: {path}: images {shape}, need at least {count} one-channel images (--panel)")
    n = shape[1] * shape[2]
    return [data[i * n:(i + 1) * n] for i in range(count)], shape[1:3]


def read_rows(pattern, classes, per_row):
    """[row][image] → h×w bytes, and (h, w), of one panel."""
    if "{c}" not in pattern:  # one file, row by row
        images, size = read_images(pattern, classes * per_row)
        return [images[r * per_row:(r + 1) * per_row] for r in range(classes)], size
    rows, size = [], None
    for c in range(classes):
        path = pattern.format(c=c)
        images, shape = read_images(path, per_row)
        if size not in (None, shape):
            sys.exit(f"error: {path}: images of {shape}, the others are {size} (--panel)")
        size = shape
        rows.append(images)
    return rows, size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--panel", action="append", required=True, help="a samples.npz path, {c} for the class")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--per-row", type=int, default=10)
    parser.add_argument("--scale", type=int, default=2)
    args = parser.parse_args()
    panels = [read_rows(p, args.classes, args.per_row) for p in args.panel]
    h, w = panels[0][1]
    if any(size != (h, w) for _, size in panels):
        sys.exit("error: the panels' images differ in size (--panel)")
    cell_w, cell_h = w + 2, h + 2
    panel_w = args.per_row * cell_w
    width = len(panels) * panel_w + (len(panels) - 1) * GAP
    canvas = [bytearray([255] * width) for _ in range(args.classes * cell_h)]
    for p, (rows, _) in enumerate(panels):
        for c, images in enumerate(rows):
            for i, image in enumerate(images):
                x0 = p * (panel_w + GAP) + i * cell_w + 1
                for r in range(h):
                    canvas[c * cell_h + 1 + r][x0:x0 + w] = image[r * w:(r + 1) * w]
    write_grey_scaled(args.out, width, canvas, args.scale)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
