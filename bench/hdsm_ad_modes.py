#!/usr/bin/env python3
"""Forward-mode against reverse-mode AD for high-order DSM (math.md §11.3).

The LibTorch hold links is the torch wheel's; its Python API reaches the same
kernels, so this times the two ways to get J v for the toy MLP (5 Linear
layers, 128 wide, SiLU, batch 512, d = 2, one probe per sample):
  rev: v ↦ Jᵀv by one double backward (create_graph), J v from it by one more
       backward in the probe (what lib/objectives/hdsm.cpp does);
  fwd: J v from a dual tensor (reverse-over-forward: the tangent is then
       differentiated in the parameters, and for order 3 in u).
Run with the wheel's Python:
  ~/.local/share/hold/venv-torch-2.15.0/bin/python bench/hdsm_ad_modes.py [threads]
"""
import sys
import time

import torch
import torch.autograd.forward_ad as fwad

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)
N, D, H = 512, 2, 128


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList([torch.nn.Linear(D + 16, H)] + [torch.nn.Linear(H, H) for _ in range(3)] +
                                          [torch.nn.Linear(H, D)])

    def forward(self, u, t):
        h = torch.cat([u, torch.sin(t[:, None] * torch.arange(1.0, 17.0))], 1)
        for layer in self.layers[:-1]:
            h = torch.nn.functional.silu(layer(h))
        return self.layers[-1](h)


net = Mlp()
u0, t, z, ell = torch.randn(N, D), torch.rand(N), torch.randn(N, D), torch.rand(N, 1) + 0.1


def step(order, mode):
    u = u0.clone().requires_grad_(True)
    v = torch.randint(0, 2, (N, D)).float() * 2 - 1
    if mode == "fwd" and order >= 2:
        with fwad.dual_level():
            eps, jv = fwad.unpack_dual(net(fwad.make_dual(u, v), t))
    else:
        eps = net(u, t)
        if order >= 2:
            a = v.clone().requires_grad_(True)
            w = torch.autograd.grad((eps * a).sum(), u, create_graph=True)[0]
            jv = torch.autograd.grad((w * v).sum(), a, create_graph=True)[0]
    loss = ((eps - z) ** 2).sum(1)
    if order >= 2:
        h = z - eps.detach()
        hv = (h * v).sum(1, keepdim=True)
        loss = loss + 0.5 * ((v - ell * jv - hv * h) ** 2).sum(1) / D
    if order >= 3:
        g = torch.autograd.grad((v * jv).sum(), u, create_graph=True)[0]
        loss = loss + 0.1 * ((-ell ** 2 * g + hv ** 2 * h) ** 2).sum(1)
    loss.mean().backward()


for mode in ["rev", "fwd"]:
    for order in [1, 2, 3]:
        if mode == "fwd" and order == 1:
            continue
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(20):
                step(order, mode)
            times.append((time.perf_counter() - t0) / 20 * 1e3)
        times.sort()
        print(f"{mode} order {order}: median {times[2]:.2f} ms, best {times[0]:.2f} ms per step")
