#!/usr/bin/env bash
# Builds Tessera's libFuzzer targets with clang (ASan + UBSan) and runs each
# for a bounded time on its seed corpus. Exits non-zero if any target finds
# a crash, leak, timeout or out-of-memory, naming the target and the input
# that reproduces it.
#
#   tools/fuzz/build_and_run.sh [SECONDS]     fuzz every target SECONDS each (default 30)
#   tools/fuzz/build_and_run.sh --make-seeds  regenerate the binary seeds in corpus/
#
# Environment:
#   FUZZ_OUT      build and scratch directory (default
#                 ~/.cache/tessera/fuzz/<hash of this checkout's path>);
#                 objects there are reused, so a second run only recompiles
#                 what changed
#   FUZZ_TARGETS  space-separated subset of: graph idx npy checkpoint image onnx
#   FUZZ_JOBS     targets fuzzed at once (default: number of CPUs)
#
# Targets (tools/fuzz/<name>_fuzzer.cc, seeds in tools/fuzz/corpus/<name>/,
# optional libFuzzer dictionary tools/fuzz/<name>.dict):
#   graph       ParseGraphText + Graph::Build with every op registered
#               (seeds: corpus/graph/ and models/*.pbtxt)
#   idx         datasets::ParseIdx, and ReadIdx for gzip input
#   npy         ParseNpy, plus a SerializeNpy round trip
#   checkpoint  ParseCheckpoint, then RestoreCheckpoint into a fixed model
#   image       DecodeImage (JPEG, PNG) to grey and RGB, then the eval transform
#               (seeds: corpus/image/, every colour type)
#   onnx        the ONNX importer, then Graph::Build (seeds: corpus/onnx/
#               and the official node tests' models, libonnx-testdata)
#
# Reproduce a crash: $FUZZ_OUT/bin/<name>_fuzzer <crash file>
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
FUZZ_DIR="$ROOT/tools/fuzz"
# One build directory per checkout: the objects' dependency files name the
# sources by absolute path, so a second clone sharing the directory would
# find rules for files that are not there ("No rule to make target").
ROOT_KEY="$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
OUT="${FUZZ_OUT:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera/fuzz/$ROOT_KEY}"
TARGETS=(${FUZZ_TARGETS:-graph idx npy checkpoint image onnx})
JOBS="${FUZZ_JOBS:-$(nproc)}"

make_seeds=0
seconds=30
case "${1:-}" in
  --make-seeds) make_seeds=1 ;;
  "") ;;
  *[!0-9]* | 0)
    echo "usage: $0 [SECONDS | --make-seeds]" >&2
    exit 2
    ;;
  *) seconds="$1" ;;
esac

# --- Toolchain: install what is missing (quiet when all is there). -------
PACKAGES=(clang libclang-rt-14-dev llvm make protobuf-compiler libprotobuf-dev
          libabsl-dev libhwy-dev zlib1g-dev libjpeg62-turbo-dev libpng-dev
          libonnx-dev libonnx-testdata)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "fuzz: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# --- Build. ---------------------------------------------------------------
build_start=$SECONDS
bins=()
for t in "${TARGETS[@]}"; do bins+=("$OUT/bin/${t}_fuzzer"); done
((make_seeds)) && bins=("$OUT/bin/make_seeds")
echo "fuzz: building ${bins[*]##*/} in $OUT ($(nproc) CPUs)"
mkdir -p "$OUT"
if ! make -s -f "$FUZZ_DIR/Makefile" -j"$(nproc)" OUT="$OUT" "${bins[@]}" >"$OUT/build.log" 2>&1; then
  { grep -E 'error|Error' "$OUT/build.log" || tail -20 "$OUT/build.log"; } | head -40 >&2
  echo "fuzz: BUILD FAILED (full log: $OUT/build.log)" >&2
  exit 2
fi
echo "fuzz: build took $((SECONDS - build_start)) s"

if ((make_seeds)); then
  "$OUT/bin/make_seeds" "$FUZZ_DIR/corpus"
  exit 0
fi

# --- Fuzz. ----------------------------------------------------------------
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

run_one() {
  local t="$1"
  local corpus="$OUT/corpus/$t" artifacts="$OUT/artifacts/$t"
  local dict=()
  [[ -f "$FUZZ_DIR/$t.dict" ]] && dict=(-dict="$FUZZ_DIR/$t.dict")
  mkdir -p "$corpus" "$artifacts"
  rm -f "$artifacts"/*
  local seeds=("$FUZZ_DIR/corpus/$t")
  if [[ "$t" == graph ]]; then
    # The model graphs of the day join the committed graph seeds.
    rm -rf "$OUT/seeds/graph"
    mkdir -p "$OUT/seeds/graph"
    cp "$ROOT"/models/*.pbtxt "$OUT/seeds/graph/" 2>/dev/null || true
    seeds+=("$OUT/seeds/graph")
  fi
  if [[ "$t" == onnx ]]; then
    # The official node tests' models (small, every claimed op and more).
    rm -rf "$OUT/seeds/onnx"
    mkdir -p "$OUT/seeds/onnx"
    for m in /usr/share/libonnx-testdata/data/node/test_*/model.onnx; do
      [[ -f "$m" ]] && cp "$m" "$OUT/seeds/onnx/$(basename "$(dirname "$m")").onnx"
    done
    seeds+=("$OUT/seeds/onnx")
  fi
  # New interesting inputs go to $corpus (kept between runs); the committed
  # seeds are only read. -timeout: one input may take at most 10 s.
  "$OUT/bin/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    "$corpus" "${seeds[@]}" >"$OUT/$t.log" 2>&1
}

declare -A status
fuzz_start=$SECONDS
echo "fuzz: running ${TARGETS[*]} for $seconds s each, $JOBS at a time"
pids=()
names=()
flush() {
  local i
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then status[${names[$i]}]=0; else status[${names[$i]}]=$?; fi
  done
  pids=()
  names=()
}
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if ((${#pids[@]} >= JOBS)); then flush; fi
done
flush

failed=0
for t in "${TARGETS[@]}"; do
  log="$OUT/$t.log"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  if [[ "${status[$t]}" == 0 ]]; then
    echo "fuzz: $t: OK, ${runs:-?} inputs, ${cov:-no coverage line}"
  else
    failed=1
    artifact=$(ls -t "$OUT/artifacts/$t"/* 2>/dev/null | head -1 || true)
    echo "fuzz: $t: FAILED (exit ${status[$t]}) after ${runs:-?} inputs"
    { grep -E '(^==[0-9]+== ?ERROR|^SUMMARY|runtime error|^tessera: |^terminate called|^  what\(\))' \
        "$log" || true; } | head -6 | sed 's/^/    /'
    echo "    reproducer: ${artifact:-none written (see $log)}"
    echo "    rerun:      $OUT/bin/${t}_fuzzer ${artifact:-<input>}"
    echo "    full log:   $log"
  fi
done
echo "fuzz: fuzzing took $((SECONDS - fuzz_start)) s, $SECONDS s in all"
exit $failed
