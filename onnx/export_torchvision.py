"""Exports a torchvision model (weights=None, eval mode) to ONNX with
Debian's torch, and writes a random input and PyTorch's logits for it.

  /usr/bin/python3 onnx/export_torchvision.py --model=alexnet --out=dir \
      [--channels=1 --classes=10] [--size=224] [--batch=2] [--opset=13]

writes dir/<model>.onnx (input "image" with a dynamic batch, output
"logits"), dir/input.npy and dir/logits.npy (float32).
"""
import argparse
import os

import numpy as np
import torch
import torchvision


def build(name, channels, classes):
    model = getattr(torchvision.models, name)(weights=None, num_classes=classes)
    if channels != 3:
        # The first convolution, for grey images (Fashion-MNIST).
        if name == "alexnet":
            model.features[0] = torch.nn.Conv2d(channels, 64, kernel_size=11, stride=4, padding=2)
        else:
            raise ValueError(f"--channels for {name} is not supported")
    return model.eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    model = build(a.model, a.channels, a.classes)
    x = torch.randn(a.batch, a.channels, a.size, a.size)
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, a.model + ".onnx")
    torch.onnx.export(model, x, path, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=a.opset, do_constant_folding=True)
    with torch.no_grad():
        logits = model(x)
    np.save(os.path.join(a.out, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(a.out, "logits.npy"), logits.numpy().astype(np.float32))


if __name__ == "__main__":
    main()
