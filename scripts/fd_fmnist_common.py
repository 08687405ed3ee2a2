"""Shared helpers of the FD-FMNIST scripts (train_fd_fmnist.py, fd_fmnist_corrupt.py).

Pure Python + torch (no numpy): reads Fashion-MNIST's IDX .gz files and writes
.npz files (a zip of .npy arrays) that hold-fid reads.
"""
import gzip
import os
import struct
import zipfile

import torch

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def read_idx(path):
    """An IDX file (plain or .gz) -> uint8 tensor: images [N, rows, cols] or labels [N]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic = struct.unpack(">I", data[:4])[0]
    if magic == 0x00000803:
        n, rows, cols = struct.unpack(">III", data[4:16])
        return torch.frombuffer(bytearray(data[16:16 + n * rows * cols]), dtype=torch.uint8).view(n, rows, cols)
    if magic == 0x00000801:
        (n,) = struct.unpack(">I", data[4:8])
        return torch.frombuffer(bytearray(data[8:8 + n]), dtype=torch.uint8)
    raise ValueError(f"not an IDX images/labels file (magic {magic:#010x}): {path}")


def read_split(data_dir, split):
    """(images uint8 [N, 28, 28], labels int64 [N]) of split 'train' or 'test'."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz")).long()
    return images, labels


def npy_bytes(t):
    """A uint8 tensor as the bytes of a .npy file (format 1.0, C order)."""
    assert t.dtype == torch.uint8
    shape = f"({t.shape[0]},)" if t.dim() == 1 else "(" + ", ".join(str(s) for s in t.shape) + ")"
    header = f"{{'descr': '|u1', 'fortran_order': False, 'shape': {shape}, }}"
    # magic (6) + version (2) + header length (2) + header + '\n': a multiple of 64 bytes
    header += " " * ((-(10 + len(header) + 1)) % 64) + "\n"
    payload = bytes(t.clone().contiguous().untyped_storage())  # clone: exactly the tensor's bytes
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


def write_npz(path, arrays):
    """arrays: {name: uint8 tensor} -> an uncompressed .npz (what numpy.savez writes)."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
        for name, t in arrays.items():
            z.writestr(name + ".npy", npy_bytes(t))
    os.replace(tmp, path)
