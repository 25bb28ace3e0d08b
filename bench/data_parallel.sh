#!/bin/bash
# Data-parallel training on this machine: one process with 2 threads
# against 2 MPI ranks with 1 thread each (same global batch), for the MLP
# and AlexNet-Fashion; the ranks with the all-reduce overlapped with
# backward and without. Prints one Markdown table (BENCHMARKS.md holds a
# run). Holds /tmp/tessera-bench.lock while timing.
#
#   bench/data_parallel.sh [--alexnet_steps=15] [--mlp_steps=200]
set -euo pipefail
ALEXNET_STEPS=15
MLP_STEPS=200
for arg in "$@"; do
  case "$arg" in
    --alexnet_steps=*) ALEXNET_STEPS="${arg#*=}" ;;
    --mlp_steps=*) MLP_STEPS="${arg#*=}" ;;
    *) echo "data_parallel.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
bazel build //models:mlp_train //models:alexnet_train >/dev/null
BIN=bazel-bin/models
MPIRUN=(mpirun --allow-run-as-root -np 2)
LOG=$(mktemp -d)

run() {  # run NAME COMMAND...: prints "images/s | all-reduce % | not hidden %"
  local name=$1; shift
  "$@" >"$LOG/$name.log" 2>&1
  tr '\r' '\n' <"$LOG/$name.log" | python3 -c '
import re, sys
text = sys.stdin.read()
rate = re.findall(r"([0-9]+) images/s", text)[-1]
m = re.search(r"all-reduce ([0-9.]+)% of training time, ([0-9.]+)% not hidden", text)
print(rate, "|", m.group(1) if m else "-", "|", m.group(2) if m else "-")'
}

table() {  # table MODEL BINARY STEPS FLAGS...
  local model=$1 binary=$2 steps=$3; shift 3
  local common=(--max_steps="$steps" --checkpoint_dir=none --epochs=1 "$@")
  echo "| $model | 1 process, 2 threads | $(run "$model-1" "$BIN/$binary" --threads=2 "${common[@]}") |"
  echo "| $model | 2 ranks x 1 thread, overlap | $(run "$model-2o" "${MPIRUN[@]}" "$BIN/$binary" --threads=1 "${common[@]}") |"
  echo "| $model | 2 ranks x 1 thread, no overlap | $(run "$model-2n" "${MPIRUN[@]}" "$BIN/$binary" --threads=1 --overlap_allreduce=false "${common[@]}") |"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| model | run | images/s | all-reduce, % of step | not hidden behind backward, % of step |"
echo "|---|---|---|---|---|"
flock /tmp/tessera-bench.lock bash -c "$(declare -f run table); BIN=$BIN; LOG=$LOG; MPIRUN=(${MPIRUN[*]});
  table mlp mlp_train $MLP_STEPS --graph=models/mlp.pbtxt
  table alexnet_fashion alexnet_train $ALEXNET_STEPS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); logs in $LOG"
