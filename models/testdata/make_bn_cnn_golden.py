#!/usr/bin/python3
"""Makes the PyTorch reference for models/testdata/bn_cnn.pbtxt.

Run from the repository root with Debian's torch (python3-torch 1.13):
    /usr/bin/python3 models/testdata/make_bn_cnn_golden.py
Trains the same network (conv, batch norm, relu, max pool, linear) from the
same initial weights for STEPS SGD steps on fixed batches, in float64, and
writes under models/testdata/bn_cnn/: the initial parameters, the batches,
a held-out batch, and PyTorch's running statistics and eval-mode logits
after training (stored as float32).
"""
import os

import numpy as np
import torch
import torch.nn as nn

OUT = "models/testdata/bn_cnn"
STEPS, BATCH, LR, MOMENTUM = 5, 8, 0.02, 0.9
rng = np.random.default_rng(2027)


def f32(shape, scale=1.0, offset=0.0):
    return (rng.standard_normal(shape) * scale + offset).astype(np.float32)


def save(name, array):
    path = os.path.join(OUT, name + ".npy")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


params = {
    "conv1/weight": f32((4, 1, 3, 3), 0.5),
    "conv1/bias": f32((4,), 0.3, 0.5),  # a mean for the running mean to track
    "bn1/gamma": f32((4,), 0.1, 1.0),
    "bn1/beta": f32((4,), 0.1),
    "fc/weight": f32((10, 64), 0.2),
    "fc/bias": f32((10,), 0.1),
}
for name, value in params.items():
    save("params/" + name, value)
batches = []
for step in range(STEPS):
    image = f32((BATCH, 1, 8, 8), 1.5, 0.2)
    label = rng.integers(0, 10, BATCH).astype(np.float32)
    save(f"batch{step}/image", image)
    save(f"batch{step}/label", label)
    batches.append((image, label))
held_out = f32((BATCH, 1, 8, 8), 1.5, 0.2)
save("held_out/image", held_out)

torch.set_default_dtype(torch.float64)
conv = nn.Conv2d(1, 4, 3, padding=1)
bn = nn.BatchNorm2d(4, eps=1e-5, momentum=0.1)
fc = nn.Linear(64, 10)
model = nn.Sequential(conv, bn, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), fc)
with torch.no_grad():
    conv.weight.copy_(torch.tensor(params["conv1/weight"], dtype=torch.float64))
    conv.bias.copy_(torch.tensor(params["conv1/bias"], dtype=torch.float64))
    bn.weight.copy_(torch.tensor(params["bn1/gamma"], dtype=torch.float64))
    bn.bias.copy_(torch.tensor(params["bn1/beta"], dtype=torch.float64))
    fc.weight.copy_(torch.tensor(params["fc/weight"], dtype=torch.float64))
    fc.bias.copy_(torch.tensor(params["fc/bias"], dtype=torch.float64))
sgd = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
model.train()
for image, label in batches:
    sgd.zero_grad()
    loss = nn.functional.cross_entropy(model(torch.tensor(image, dtype=torch.float64)), torch.tensor(label).long())
    loss.backward()
    sgd.step()
    print("loss", float(loss))
model.eval()
with torch.no_grad():
    logits = model(torch.tensor(held_out, dtype=torch.float64))
save("golden/running_mean", bn.running_mean.numpy())
save("golden/running_var", bn.running_var.numpy())
save("golden/eval_logits", logits.numpy())
print("torch", torch.__version__, "running_mean", bn.running_mean.numpy())
