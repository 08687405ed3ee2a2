"""How often class-conditional Fashion-MNIST samples are of the class asked
for, by the FD-FMNIST classifier (assets/fd_fmnist/extractor.pt, its `logits`
method; 92.0 % on the test set), for the classifier-free guidance demo
(docs/results.md):

    $(bash scripts/setup.sh --print-python) scripts/fmnist_class_accuracy.py \\
        'runs/cfg_w0/class{c}/samples.npz' 'runs/cfg_w2/class{c}/samples.npz'

Every argument is a path with {c} for the class (0 … 9), each file the
output of `hold-sample --class c` (samples.npz `images`, uint8 NHWC). Prints
per pattern the share of samples classified as their class, per class and
over all.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fmnist_inpaint_demo import read_npz_uint8  # noqa: E402

EXTRACTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "fd_fmnist", "extractor.pt")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("patterns", nargs="+")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--extractor", default=EXTRACTOR)
    args = ap.parse_args()
    model = torch.jit.load(args.extractor)
    for pattern in args.patterns:
        if "{c}" not in pattern:
            sys.exit(f"error: {pattern}: the path needs {{c}} where the class goes")
        hits, total, per_class = 0, 0, []
        for c in range(args.classes):
            shape, data = read_npz_uint8(pattern.format(c=c), "images")
            images = torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(shape)
            x = images.permute(0, 3, 1, 2).float().expand(-1, 3, -1, -1)  # [N, 3, H, W] in [0, 255]
            with torch.no_grad():
                predicted = model.logits(x).argmax(1)
            right = int((predicted == c).sum())
            per_class.append(f"{right}/{shape[0]}")
            hits, total = hits + right, total + shape[0]
        print(f"{pattern}: {hits}/{total} = {100.0 * hits / total:.1f} % of the requested class; "
              f"per class {' '.join(per_class)}")


if __name__ == "__main__":
    main()
