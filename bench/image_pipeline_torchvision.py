"""The torchvision and PIL side of bench/image_pipeline.sh.

  image_pipeline_torchvision.py DIR torchvision [WORKERS]
      ImageFolder(DIR/train) + DataLoader(batch_size=64, shuffle=True,
      num_workers=WORKERS, default 2), one epoch
  image_pipeline_torchvision.py DIR pil
      the same transforms with PIL and numpy in this one process

Transforms: Resize(256), RandomCrop(224), RandomHorizontalFlip, ToTensor,
Normalize(ImageNet), as the Tessera side does them. Prints images/s.
"""
import random
import sys
import time

import numpy as np
import torch
from PIL import Image
from torchvision import datasets, transforms

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def torchvision_epoch(root, workers):
    transform = transforms.Compose([
        transforms.Resize(256), transforms.RandomCrop(224), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    start = time.perf_counter()
    folder = datasets.ImageFolder(root + '/train', transform=transform)
    loader = torch.utils.data.DataLoader(folder, batch_size=64, shuffle=True, drop_last=True,
                                         num_workers=workers)
    served = 0
    for images, _ in loader:
        served += images.shape[0]
    return served, time.perf_counter() - start


def pil_epoch(root):
    folder = datasets.ImageFolder(root + '/train')  # only the file list
    start = time.perf_counter()
    mean = np.array(MEAN, np.float32).reshape(3, 1, 1)
    std = np.array(STD, np.float32).reshape(3, 1, 1)
    order = list(range(len(folder.samples)))
    random.shuffle(order)
    batch = np.empty((64, 3, 224, 224), np.float32)
    served = 0
    for position, index in enumerate(order[:len(order) // 64 * 64]):
        image = Image.open(folder.samples[index][0]).convert('RGB')
        w, h = image.size
        scale = 256 / min(w, h)
        image = image.resize((max(256, int(w * scale)), max(256, int(h * scale))),
                             Image.BILINEAR)
        left = random.randint(0, image.size[0] - 224)
        top = random.randint(0, image.size[1] - 224)
        image = image.crop((left, top, left + 224, top + 224))
        if random.random() < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        pixels = np.asarray(image, np.float32).transpose(2, 0, 1) / 255
        batch[position % 64] = (pixels - mean) / std
        served += 1
    return served, time.perf_counter() - start


def main():
    root, mode = sys.argv[1], sys.argv[2]
    if mode == 'torchvision':
        workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
        served, seconds = torchvision_epoch(root, workers)
        label = f'torchvision DataLoader num_workers={workers}'
    else:
        torch.set_num_threads(1)
        served, seconds = pil_epoch(root)
        label = 'PIL + numpy, 1 process'
    print(f'{label}: {served} images in {seconds:.2f} s: {served / seconds:.1f} images/s')


if __name__ == '__main__':
    main()
