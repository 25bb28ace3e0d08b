#!/usr/bin/env bash
# Prints, relative to the repository root, the library sources the fuzz
# targets are built from (used by tools/fuzz/Makefile): core/*.cc,
# datasets/*.cc, ops/common/*.cc and ops/<op>/*.cc for each op in the OPS
# list (ops/ops.bzl, formerly ops/BUILD: what //ops:all_ops links), minus tests, benchmarks,
# test-only helpers and anything with a main() or a gtest / benchmark
# include.
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
ops=$(cat ops/ops.bzl ops/BUILD 2>/dev/null | sed -n '/^OPS = \[/,/^\]/p' | grep -o '"[a-z0-9_]*"' | tr -d '"')
for f in core/*.cc datasets/*.cc ops/common/*.cc $(for op in $ops; do echo "ops/$op/*.cc"; done); do
  [[ -f "$f" ]] || continue
  case "$f" in
    *_test.cc | *_benchmark.cc) continue ;;
    core/conformance_main.cc | core/gradient_check.cc | core/op_test_case.cc | core/test_ops.cc) continue ;;
  esac
  if grep -qE '^int main\(|#include "(gtest|gmock|benchmark)/' "$f"; then continue; fi
  echo "$f"
done
