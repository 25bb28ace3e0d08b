#!/usr/bin/env bash
# PyTorch -> ONNX -> Tessera: torchvision models (weights=None, eval mode)
# exported with Debian's torch, imported by run_graph (which reads .onnx
# through //onnx:graph_reader), logits within 1e-4 + 1e-4 |ref| of
# PyTorch's; then the imported AlexNet (grey input, 10 classes) trains a
# few steps with alexnet_train --graph=alexnet.onnx.
set -euo pipefail
PY=/usr/bin/python3
T="${TEST_TMPDIR:-$(mktemp -d)}"
EXPORT=onnx/export_torchvision.py

compare() {  # produced.npy reference.npy label
  "$PY" - "$1" "$2" "$3" <<'PYEOF'
import sys
import numpy as np
got, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
assert got.shape == ref.shape, (sys.argv[3], got.shape, ref.shape)
err = np.abs(got.astype(np.float64) - ref)
bad = err > 1e-4 + 1e-4 * np.abs(ref)
print(f"{sys.argv[3]}: logits {got.shape}, max |diff| {err.max():.3g}, max |ref| {np.abs(ref).max():.3g}")
assert not bad.any(), f"{sys.argv[3]}: {bad.sum()} values off"
PYEOF
}

for model in alexnet squeezenet1_1 resnet18; do
  "$PY" "$EXPORT" --model="$model" --out="$T/$model" --seed=3 2>/dev/null
  tools/run_graph --graph="$T/$model/$model.onnx" --inputs=image="$T/$model/input.npy" \
    --outputs=logits --output_dir="$T/$model/out" 2>"$T/$model/stderr" ||
    { cat "$T/$model/stderr"; exit 1; }
  compare "$T/$model/out/logits.npy" "$T/$model/logits.npy" "$model"
  rm -f "$T/$model/$model.onnx"
done

# The converter's .pbtxt + .npy weights compute the same logits.
"$PY" "$EXPORT" --model=squeezenet1_1 --out="$T/convert" --seed=4 2>/dev/null
onnx/convert --model="$T/convert/squeezenet1_1.onnx" --out="$T/convert/squeezenet.pbtxt"
grep -q 'type: "npy"' "$T/convert/squeezenet.pbtxt"
tools/run_graph --graph="$T/convert/squeezenet.pbtxt" --inputs=image="$T/convert/input.npy" \
  --outputs=logits --output_dir="$T/convert/out" 2>/dev/null
compare "$T/convert/out/logits.npy" "$T/convert/logits.npy" "squeezenet1_1 via convert"

# Training the imported AlexNet: the trainer appends a softmax
# cross-entropy loss and a label input.
"$PY" "$EXPORT" --model=alexnet --channels=1 --classes=10 --batch=1 --out="$T/grey" 2>/dev/null
models/alexnet_train --graph="$T/grey/alexnet.onnx" --image_size=224 --batch_size=4 \
  --max_steps=3 --print_every=1 --checkpoint_dir=none --threads=2 >"$T/train.log" 2>&1 ||
  { tr '\r' '\n' <"$T/train.log"; exit 1; }
tr '\r' '\n' <"$T/train.log" | tail -3
grep -q "stopped at epoch 1, batch 3, step 3" "$T/train.log"
loss=$(tr '\r' '\n' <"$T/train.log" | grep -o 'loss [0-9.]*' | tail -1 | cut -d' ' -f2)
"$PY" -c "import math, sys; l = float('$loss'); sys.exit(0 if math.isfinite(l) and 0 < l < 10 else 1)"
echo "PASS"
