#!/usr/bin/env bash
# Input-pipeline throughput, side by side (issue #15): Tessera's decode
# pipeline (//bench:image_pipeline_benchmark) against torchvision's
# ImageFolder + DataLoader(num_workers=2) and against PIL in one process,
# on the same folder of JPEGs and the same transforms (Resize 256,
# RandomCrop 224, flip, normalize), each for one epoch, ROUNDS times.
#
#   bench/image_pipeline.sh [--rounds=N] [--dir=DIR]
#
# The folder (default /tmp/tessera-image-bench) is made once by
# //tools:make_image_folder: 72 crops, 500x375 JPEG quality 90, of each of
# 17 photographs packaged in python3-skimage and python3-sklearn (1,224
# images). Holds /tmp/tessera-bench.lock while timing.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2
dir=/tmp/tessera-image-bench
for arg in "$@"; do
  case "$arg" in
    --rounds=*) rounds="${arg#*=}" ;;
    --dir=*) dir="${arg#*=}" ;;
    *) echo "usage: $0 [--rounds=N] [--dir=DIR]" >&2; exit 2 ;;
  esac
done
bazel build -c opt //bench:image_pipeline_benchmark //tools:make_image_folder >/dev/null
SK=/usr/lib/python3/dist-packages/skimage/data
SL=/usr/lib/python3/dist-packages/sklearn/datasets/images
photos=""
for p in $SK/{astronaut,brick,camera,cell,chelsea,coffee,coins,grass,gravel,ihc,moon,motorcycle_left}.png \
         $SK/{hubble_deep_field,retina,rocket}.jpg $SL/china.jpg $SL/flower.jpg; do
  photos+="$p,"
done
if [[ ! -d "$dir/train" ]]; then
  bazel-bin/tools/make_image_folder --out="$dir" --photos="$photos" --count=72 --val_count=0 \
    --size=500x375 --quality=90
fi
echo "folder: $dir/train, $(find "$dir/train" -name '*.jpg' | wc -l) JPEGs, $(du -sh "$dir/train" | cut -f1)"
cat "$dir"/train/*/*.jpg >/dev/null  # into the page cache for everyone
for ((r = 1; r <= rounds; r++)); do
  echo "--- round $r"
  flock /tmp/tessera-bench.lock bash -c "
    bazel-bin/bench/image_pipeline_benchmark --data_dir='$dir' --workers=2
    bazel-bin/bench/image_pipeline_benchmark --data_dir='$dir' --workers=1
    /usr/bin/python3 bench/image_pipeline_torchvision.py '$dir' torchvision 2
    /usr/bin/python3 bench/image_pipeline_torchvision.py '$dir' pil
  "
done
