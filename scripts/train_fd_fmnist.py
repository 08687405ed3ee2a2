"""Trains the FD-FMNIST feature extractor: a small CNN classifier of Fashion-MNIST
whose penultimate layer (128 features) stands in for Inception-v3's pool3 in a
Frechet distance of Fashion-MNIST images (docs/evaluation.md, "FD-FMNIST").

    $(bash scripts/setup.sh --print-python) scripts/train_fd_fmnist.py \
        [--epochs 3] [--seed 0] [--threads 2] [--data-dir /usr/share/datasets/fashion-mnist] \
        [--out assets/fd_fmnist/extractor.pt]

CPU only, deterministic for a given seed and thread count. Prints the test
accuracy of the trained network and, after saving, that of the saved
TorchScript file (its exported `logits` method), which must agree.

The saved module follows hold-fid's calling convention
(lib/metrics/feature_extractor.h): forward(x) takes float32 images
[N, 3, H, W] with pixel values in [0, 255] and returns features [N, 128]. It
averages the 3 channels (grey images arrive repeated), scales to [0, 1] and
standardises with the training set's mean and standard deviation. Images
larger than 28 x 28 are centre-cropped to 28 x 28 (which undoes data.pad);
smaller ones are an error.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fd_fmnist_common import DEFAULT_DIR, read_split  # noqa: E402

# Pixel mean and standard deviation of Fashion-MNIST's training images, on [0, 1].
MEAN, STD = 0.2860, 0.3530


class FdFmnist(nn.Module):
    def __init__(self, features: int = 128):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]

        # 28 -> 14 -> 7 -> 3
        self.body = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 64), nn.Flatten(),
                                  nn.Linear(64 * 3 * 3, features), nn.ReLU())
        self.head = nn.Linear(features, 10)
        self.mean, self.std = MEAN, STD

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """float [N, 3 (or 1), H, W] in [0, 255] -> standardised [N, 1, 28, 28]."""
        if x.dim() != 4:
            raise ValueError("FD-FMNIST expects images [N, C, H, W]")
        h, w = x.shape[2], x.shape[3]
        if h < 28 or w < 28:
            raise ValueError("FD-FMNIST expects 28x28 images (larger ones are centre-cropped)")
        top, left = (h - 28) // 2, (w - 28) // 2
        x = x[:, :, top:top + 28, left:left + 28].mean(dim=1, keepdim=True)
        return (x / 255.0 - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """hold-fid's convention: float [N, 3, H, W] in [0, 255] -> penultimate features [N, 128]."""
        return self.body(self.prepare(x))

    @torch.jit.export
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores [N, 10] of the same input (to check the saved file's accuracy)."""
        return self.head(self.forward(x))


def as_input(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 [N, 28, 28] -> what hold-fid passes: float [N, 3, 28, 28] in [0, 255]."""
    return images_u8.unsqueeze(1).float().expand(-1, 3, -1, -1)


@torch.no_grad()
def accuracy(logits_fn, images, labels, batch=1000):
    correct = 0
    for i in range(0, images.shape[0], batch):
        correct += (logits_fn(as_input(images[i:i + batch])).argmax(1) == labels[i:i + batch]).sum().item()
    return correct / images.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=DEFAULT_DIR)
    ap.add_argument("--out", default="assets/fd_fmnist/extractor.pt")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    train_x, train_y = read_split(args.data_dir, "train")
    test_x, test_y = read_split(args.data_dir, "test")
    print(f"torch {torch.__version__}, {args.threads} threads; train {tuple(train_x.shape)}, test {tuple(test_x.shape)}")

    model = FdFmnist()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = (train_x.shape[0] + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=gen)
        total, seen = 0.0, 0
        for i in range(0, train_x.shape[0], args.batch):
            idx = order[i:i + args.batch]
            loss = F.cross_entropy(model.logits(as_input(train_x[idx])), train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.shape[0]
            seen += idx.shape[0]
        model.eval()
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / seen:.4f}, "
              f"test accuracy {accuracy(model.logits, test_x, test_y):.4f} ({time.time() - start:.0f} s)", flush=True)
    train_time = time.time() - start

    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.jit.script(model).save(args.out)
    saved = torch.jit.load(args.out)
    acc = accuracy(saved.logits, test_x, test_y)
    features = saved(as_input(test_x[:4])).shape
    print(f"saved {args.out}: {os.path.getsize(args.out)} bytes, {n_params} parameters, features {tuple(features)}, "
          f"test accuracy {acc:.4f} (10000 images), training {train_time:.0f} s")


if __name__ == "__main__":
    main()
