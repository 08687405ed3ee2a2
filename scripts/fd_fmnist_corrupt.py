"""Writes corrupted copies of Fashion-MNIST's test images as npz files (`arr_0`,
uint8 [N, 28, 28, 1]) for validating FD-FMNIST (docs/evaluation.md):

    $(bash scripts/setup.sh --print-python) scripts/fd_fmnist_corrupt.py --out DIR \
        [--noise 0.02,0.05,0.1,0.2,0.4] [--blur 0.5,1,1.5,2] [--seed 0] [--data-dir D]

DIR/test.npz          the clean test images (10000)
DIR/test_a.npz, test_b.npz   its first and second halves (5000 each)
DIR/noise_<s>.npz     pixel y = x/255 + s z, z ~ N(0, 1) per pixel (torch.Generator seeded --seed + k
                      for the k-th level), clamped to [0, 1]
DIR/blur_<s>.npz      a Gaussian blur of standard deviation s pixels (separable, kernel radius ceil(3 s),
                      edges replicated)

Every image is requantised as hold writes images (io/image_grid.h): uint8(clamp(255 y + 0.5, 0, 255)).
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fd_fmnist_common import DEFAULT_DIR, read_split, write_npz  # noqa: E402


def quantise(y):
    """float [N, H, W] on [0, 1] scale -> uint8 [N, H, W, 1], rounded half up."""
    return (y * 255 + 0.5).clamp(0, 255).to(torch.uint8).unsqueeze(-1)


def gaussian_blur(x, s):
    """x: float [N, H, W]; separable Gaussian of standard deviation s pixels, edges replicated."""
    r = max(1, math.ceil(3 * s))
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / s) ** 2)
    k = (k / k.sum()).float()
    y = F.pad(x.unsqueeze(1), (r, r, r, r), mode="replicate")
    y = F.conv2d(y, k.view(1, 1, 1, -1))
    y = F.conv2d(y, k.view(1, 1, -1, 1))
    return y.squeeze(1)


def levels(text):
    return [float(v) for v in text.split(",") if v]


def name(v):
    return f"{v:g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder written")
    ap.add_argument("--data-dir", default=DEFAULT_DIR)
    ap.add_argument("--noise", default="0.02,0.05,0.1,0.2,0.4", help="Gaussian noise sigmas, pixel scale [0, 1]")
    ap.add_argument("--blur", default="0.5,1,1.5,2", help="Gaussian blur standard deviations in pixels")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    test, _ = read_split(args.data_dir, "test")
    n = test.shape[0]
    x = test.double() / 255  # float64: the clean images requantise to themselves exactly
    written = {"test": quantise(x), "test_a": quantise(x[:n // 2]), "test_b": quantise(x[n // 2:])}
    assert torch.equal(written["test"].squeeze(-1), test)
    for k, s in enumerate(levels(args.noise)):
        gen = torch.Generator().manual_seed(args.seed + k)
        z = torch.randn(x.shape, generator=gen, dtype=torch.float64)
        written[f"noise_{name(s)}"] = quantise((x + s * z).clamp(0, 1))
    for s in levels(args.blur):
        written[f"blur_{name(s)}"] = quantise(gaussian_blur(x.float(), s).double())
    for key, images in written.items():
        path = os.path.join(args.out, key + ".npz")
        write_npz(path, {"arr_0": images})
        if images.shape[0] == n:
            diff = (images.squeeze(-1).float() - test.float()).abs().mean().item()
            print(f"{path}: {tuple(images.shape)}, mean |change| {diff:.2f} grey levels")
        else:
            print(f"{path}: {tuple(images.shape)}")


if __name__ == "__main__":
    main()
