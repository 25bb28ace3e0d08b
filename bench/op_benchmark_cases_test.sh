#!/bin/bash
# Times nothing: lists op_benchmark's benchmarks, which fails when a
# registered op has no case in bench/op_benchmark.cc or a case no longer
# passes its op's shape checks. Usage: op_benchmark_cases_test.sh OP_BENCHMARK
set -euo pipefail
"$1" --benchmark_list_tests=true >/dev/null
