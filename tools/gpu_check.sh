#!/usr/bin/env bash
# GPU check: builds here (no GPU needed) the GPU test binaries and a short
# AlexNet training benchmark, bundles them with every shared library they
# need, and runs the bundle in one call on a machine with a GPU.
#
#   tools/gpu_check.sh build    # here: bazel build --config=cuda, then
#                               # gpu_check_bundle/ (git-ignored, < 64 MiB)
#   tools/gpu_check.sh run      # there, from the repository root: runs every
#                               # test with TESSERA_REQUIRE_GPU=1 and the
#                               # benchmarks; ends with "N passed, M failed"
#
# With the session's device tool: build here, then one call
#   run(command="bash tools/gpu_check.sh run", carry=["gpu_check_bundle"])
#
# The bundle brings its own loader and glibc/libstdc++ (so it runs on any
# x86-64 Linux) and libcudart. cuBLAS and cuDNN (over 1 GB) are found on the
# GPU machine: /usr/local/cuda*, the system library path, or the nvidia-*
# Python wheels that PyTorch installs; their major versions must match
# CUDA 13 / cuDNN 9.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUNDLE=gpu_check_bundle
TESTS=(//ops:conformance_test //core/cuda:cuda_backend_test //models:gpu_training_test)
BENCH=//bench:model_step_benchmark

build() {
  set -e
  bazel build --config=cuda "${TESTS[@]}" "$BENCH"
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE/bin" "$BUNDLE/lib" "$BUNDLE/models"
  for target in "${TESTS[@]}" "$BENCH"; do
    local path="bazel-bin/${target#//}"
    path="${path/://}"
    cp -L "$path" "$BUNDLE/bin/"
    # Every resolved shared library but the GPU driver and the big CUDA
    # libraries, which must come from the GPU machine.
    ldd "$path" | awk '/=> \// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' |
      grep -v -E '/(libcuda\.so|libcublas|libcudnn)' | while read -r lib; do
        cp -nL "$lib" "$BUNDLE/lib/"
      done
  done
  cp models/*.pbtxt "$BUNDLE/models/"
  du -sh "$BUNDLE"
}

# Directories holding libcublas.so.13 and libcudnn.so.9 on this machine.
find_cuda_libraries() {
  local dirs=() candidates=(/usr/local/cuda/lib64 /usr/local/cuda-13*/lib64 /usr/lib/x86_64-linux-gnu)
  local site
  for site in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
    candidates+=("$site"/nvidia/*/lib "$site"/nvidia/cu13/lib)
  done
  local lib dir
  for lib in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 libcudnn_graph.so.9 libcudnn_cnn.so.9 \
    libcudnn_ops.so.9 libcudnn_engines_precompiled.so.9; do
    for dir in "${candidates[@]}"; do
      if [[ -e "$dir/$lib" ]]; then
        dirs+=("$dir")
        break
      fi
    done
  done
  printf '%s\n' "${dirs[@]}" | sort -u | paste -sd: -
}

run() {
  [[ -d "$BUNDLE" ]] || { echo "gpu_check: no $BUNDLE/; run 'tools/gpu_check.sh build' first"; exit 2; }
  nvidia-smi -L 2>/dev/null || echo "gpu_check: no nvidia-smi here"
  local cuda_dirs
  cuda_dirs=$(find_cuda_libraries)
  echo "gpu_check: cuBLAS/cuDNN from: ${cuda_dirs:-NOT FOUND}"
  local loader="$BUNDLE/lib/ld-linux-x86-64.so.2"
  local libpath="$PWD/$BUNDLE/lib${cuda_dirs:+:$cuda_dirs}"
  local passed=0 failed=0 binary
  export TESSERA_REQUIRE_GPU=1
  for binary in "$BUNDLE"/bin/*_test; do
    local name log
    name=$(basename "$binary")
    log=$(mktemp)
    # Tests open models/*.pbtxt relative to the working directory.
    (cd "$BUNDLE" && timeout 300 "$PWD/lib/ld-linux-x86-64.so.2" --library-path "$libpath" \
      "bin/$name" --gtest_brief=1) >"$log" 2>&1
    local rc=$?
    local p f
    p=$(grep -oP '\[  PASSED  \] \K[0-9]+' "$log" | tail -1)
    # --gtest_brief prints each failed test once, and no summary.
    f=$(grep -c '^\[  FAILED  \] [A-Za-z]' "$log")
    p=${p:-0}
    f=${f:-0}
    if ((rc != 0 && f == 0)); then f=1; fi  # crashed or timed out
    echo "gpu_check: $name: $p passed, $f failed (exit $rc)"
    if ((f > 0)); then tail -60 "$log"; fi
    passed=$((passed + p))
    failed=$((failed + f))
    rm -f "$log"
  done
  unset TESSERA_REQUIRE_GPU

  echo "gpu_check: AlexNet-Fashion train step at 224x224, batch 64:"
  "$loader" --library-path "$libpath" "$BUNDLE/bin/model_step_benchmark" --device=gpu \
    --graph="$BUNDLE/models/alexnet_fashion.pbtxt" --image_size=224 --batch=64 --warmup=3 --steps=20 ||
    failed=$((failed + 1))
  if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "gpu_check: PyTorch $(python3 -c 'import torch; print(torch.__version__)'), same model and batch:"
    python3 bench/torch_bench.py --device=cuda --model=alexnet_fashion_224 --warmup=3 --steps=20 ||
      failed=$((failed + 1))
  else
    echo "gpu_check: PyTorch with CUDA not available here: no PyTorch comparison"
  fi
  echo "$passed passed, $failed failed"
  ((failed == 0))
}

case "${1:-}" in
  build) build ;;
  run) run ;;
  *)
    sed -n 2,21p "$0"
    exit 2
    ;;
esac
