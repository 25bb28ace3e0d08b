#!/usr/bin/python3
"""Makes the PyTorch reference for tools/testdata/small_cnn.pbtxt.

Run from the repository root with Debian's torch (python3-torch 1.13):
    /usr/bin/python3 tools/testdata/make_small_cnn_golden.py
Writes inputs, parameters and PyTorch's outputs and gradients (computed in
float64, stored as float32) under tools/testdata/small_cnn/.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = "tools/testdata/small_cnn"
rng = np.random.default_rng(2026)


def f32(shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def save(name, array):
    path = os.path.join(OUT, name + ".npy")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


arrays = {
    "image": f32((2, 3, 9, 9)),
    "conv1/weight": f32((4, 3, 3, 3), 0.4),
    "conv1/bias": f32((4,), 0.1),
    "conv2/weight": f32((5, 4, 3, 3), 0.3),
    "conv2/bias": f32((5,), 0.1),
    "fc/weight": f32((3, 20), 0.3),
    "fc/bias": f32((3,), 0.1),
}
label = np.array([2, 0], dtype=np.float32)
save("inputs/image", arrays["image"])
save("inputs/label", label)
for name, value in arrays.items():
    if name != "image":
        save("params/" + name, value)

t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items()}
x = F.conv2d(t["image"], t["conv1/weight"], t["conv1/bias"], padding=1)
x = F.max_pool2d(F.relu(x), 2)
x = F.relu(F.conv2d(x, t["conv2/weight"], t["conv2/bias"], stride=2, padding=1))
logits = F.linear(x.flatten(1), t["fc/weight"], t["fc/bias"])
loss = F.cross_entropy(logits, torch.tensor(label, dtype=torch.long))
loss.backward()

save("golden/logits", logits.detach().numpy())
save("golden/loss", loss.detach().numpy().reshape(()))
for name, value in t.items():
    save("golden/grad/" + name, value.grad.numpy())
print("torch", torch.__version__, "loss", float(loss))
