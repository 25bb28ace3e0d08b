#!/bin/bash
# Tessera next to OpenBLAS and PyTorch on the same shapes, on this machine:
# installs the benchmark-only Debian packages if missing, builds //bench/...,
# runs every side, and prints one Markdown table (BENCHMARKS.md holds a run).
#
#   bench/side_by_side.sh            # full run, 2 rounds, about 10 minutes on 2 cores
#   bench/side_by_side.sh --quick    # shorter timings, 1 step per AlexNet
#   bench/side_by_side.sh --out=DIR  # keep the raw results in DIR
#   bench/side_by_side.sh --as_configured  # Tessera as the workspace builds it
#
# Tessera is built CPU-only (--config=nocuda) by default, in an output tree
# of its own (k8-optnocuda, no bazel-* links), like the CPU-only PyTorch it
# is compared with: a CUDA build maps ~150 MB of CUDA libraries into every
# process. --as_configured uses the workspace's configuration instead (CUDA
# when .bazelrc.local says so; op_benchmark then also times a visible GPU).
#
# Everything runs with 2 threads; PyTorch also with OMP_WAIT_POLICY=passive.
# Runs one after another, never in parallel: on 2 cores any other load
# (a compile) shows in the numbers, so the script reports the share of CPU
# time that other processes took during the run.
set -euo pipefail

QUICK=0
OUT=""
AS_CONFIGURED=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --out=*) OUT="${arg#--out=}" ;;
    --as_configured) AS_CONFIGURED=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "side_by_side.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$OUT" ]] && OUT=$(realpath -m "$OUT")  # before cd: relative to the caller
cd "$(dirname "$0")/.."
THREADS=2
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch; not a pyenv shim

# Benchmark-only packages: OpenBLAS as the GEMM peer, PyTorch for the rest.
missing=()
for pkg in libopenblas-dev python3-torch python3-numpy; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y "${missing[@]}"
fi

BAZEL_FLAGS=(--config=nocuda --platform_suffix=nocuda --symlink_prefix=/)
BUILD_KIND="CPU-only, --config=nocuda"
if ((AS_CONFIGURED)); then
  BAZEL_FLAGS=()
  BUILD_KIND="as the workspace is configured"
fi
echo "== building //bench/... and //bench:openblas_sgemm (manual: needs libopenblas-dev), $BUILD_KIND"
bazel build "${BAZEL_FLAGS[@]}" //bench/... //bench:openblas_sgemm
BIN=$(bazel info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)/bench
if ldd "$BIN/op_benchmark" | grep -q libcudart; then BUILD_KIND+=", linked with CUDA"; fi

if [[ -z "$OUT" ]]; then OUT=$(mktemp -d /tmp/tessera_bench.XXXXXX); fi
mkdir -p "$OUT"

if ((QUICK)); then
  MIN_TIME=0.1
  REPETITIONS=1
  # Only the ops in the table.
  OP_FILTER='^(conv2d/(3x3|alexnet_conv1|alexnet_conv2)_|conv_transpose2d/|maxpool2d/|relu/|add/)'
  MLP_STEPS=(--warmup=5 --steps=50)
  ALEXNET_STEPS=(--warmup=1 --steps=1)
  TORCH_ARGS=(--quick)
  ROUNDS=1
else
  MIN_TIME=0.5
  REPETITIONS=3  # the median of 3 keeps a passing compile from deciding a number
  OP_FILTER='.'
  MLP_STEPS=(--warmup=20 --steps=200)
  ALEXNET_STEPS=(--warmup=1 --steps=2)  # a step takes seconds
  TORCH_ARGS=()
  # This VM's speed drifts by 10-30% over minutes (host load, clocks): two
  # rounds, Tessera and the peers taking turns, and the best of each number,
  # keep a slow minute from deciding a ratio.
  ROUNDS=2
fi

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "flags: $(grep -m1 -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | xargs)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== load average before (1, 5, 15 min): $LOAD_BEFORE"
# Clock ticks of the whole machine (/proc/stat: busy, idle, and steal, the
# time the hypervisor gave this VM's CPUs to others) and of this script's
# finished children (/proc/$$/stat: cutime + cstime): busy minus ours over
# the run is what other processes took.
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6, $9}' /proc/stat; }
children_ticks() { awk '{print $16+$17}' "/proc/$$/stat"; }
read -r BUSY0 IDLE0 STEAL0 < <(machine_ticks)
OWN0=$(children_ticks)

quiet() {  # log file, then a command: its output goes to the log, shown if it fails
  local log=$1; shift
  "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; echo "side_by_side.sh: failed: $*" >&2; exit 1; }
}
GB=(--benchmark_min_time="$MIN_TIME" --benchmark_repetitions="$REPETITIONS"
    --benchmark_report_aggregates_only=true --benchmark_out_format=json)

# One round of everything, results in $1.
run_round() {
  local dir=$1
  mkdir -p "$dir"
  echo "== roofline: FMA peak and copy bandwidth (roofline, $THREADS threads)"
  quiet "$dir/roofline.txt" "$BIN/roofline" --threads="$THREADS" "${GB[@]}" \
    --benchmark_out="$dir/roofline.json"
  echo "== Tessera op kernels (op_benchmark, $THREADS threads)"
  quiet "$dir/tessera_ops.txt" "$BIN/op_benchmark" --threads="$THREADS" \
    --benchmark_filter="$OP_FILTER" "${GB[@]}" --benchmark_out="$dir/tessera_ops.json"
  echo "== Tessera GEMM (tessera_sgemm, $THREADS threads)"
  quiet "$dir/tessera_sgemm.txt" "$BIN/tessera_sgemm" --threads="$THREADS" "${GB[@]}" \
    --benchmark_out="$dir/tessera_sgemm.json"
  echo "== OpenBLAS GEMM (openblas_sgemm, openblas_set_num_threads($THREADS))"
  quiet "$dir/openblas_sgemm.txt" "$BIN/openblas_sgemm" --threads="$THREADS" "${GB[@]}" \
    --benchmark_out="$dir/openblas_sgemm.json"
  echo "== Tessera train steps (model_step_benchmark, $THREADS threads)"
  local name
  for name in mlp alexnet_fashion_224 alexnet_imagenet_227; do
    local flags=(--graph=models/mlp.pbtxt --batch=64 "${MLP_STEPS[@]}")
    [[ $name == alexnet_fashion_224 ]] &&
      flags=(--graph=models/alexnet_fashion.pbtxt --image_size=224 --batch=64 "${ALEXNET_STEPS[@]}")
    [[ $name == alexnet_imagenet_227 ]] &&
      flags=(--graph=models/alexnet.pbtxt --batch=16 "${ALEXNET_STEPS[@]}")
    quiet "$dir/tessera_model_$name.txt" "$BIN/model_step_benchmark" --threads="$THREADS" "${flags[@]}"
    grep '^RESULT' "$dir/tessera_model_$name.txt"
  done
  echo "== PyTorch (bench/torch_bench.py): OMP_WAIT_POLICY=passive, torch.set_num_threads($THREADS)"
  OMP_WAIT_POLICY=passive quiet "$dir/torch.txt" "$PYTHON" bench/torch_bench.py "${TORCH_ARGS[@]}" \
    --json="$dir/torch.json"
  head -1 "$dir/torch.txt"
}

DIRS=()
for ((round = 1; round <= ROUNDS; ++round)); do
  echo "== round $round of $ROUNDS"
  run_round "$OUT/round$round"
  DIRS+=("$OUT/round$round")
done

read -r BUSY1 IDLE1 STEAL1 < <(machine_ticks)
OWN1=$(children_ticks)
TOTAL=$((BUSY1 - BUSY0 + IDLE1 - IDLE0 + STEAL1 - STEAL0))
OTHER_PCT=$((100 * (BUSY1 - BUSY0 - (OWN1 - OWN0)) / TOTAL))
((OTHER_PCT < 0)) && OTHER_PCT=0
STEAL_PCT=$((100 * (STEAL1 - STEAL0) / TOTAL))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== load average after: $LOAD_AFTER"
MODE="full run"
((QUICK)) && MODE="--quick run (short timings)"
echo
echo "Settings ($MODE, best of $ROUNDS round(s) per number): Tessera ($BUILD_KIND), OpenBLAS and" \
  "PyTorch each ran with $THREADS threads; $(head -1 "$OUT/round1/torch.txt")."
echo "During the run other processes used ${OTHER_PCT}% of the machine's CPU time and the hypervisor" \
  "took ${STEAL_PCT}% (steal); load average before: $LOAD_BEFORE, after: $LOAD_AFTER." \
  "Above a few percent, the numbers are low."
echo
"$PYTHON" bench/table.py "${DIRS[@]}"
echo
echo "Raw results: $OUT"
