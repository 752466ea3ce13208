#!/usr/bin/env bash
# bench.sh — every benchmark gotrl reports, each next to its peer run in the
# same script at the same time. Python peers run only when the peers venv
# exists (scripts/python_peers.sh); they are never needed for tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
prefix=$(sed -n 's/^replace github.com\/sugarme\/gotch v0.9.1 => \(.*\)\/gotch$/\1/p' go.work)
py="$root/.venv-peers/bin/python"
threads=${BENCH_THREADS:-1}
n=${BENCH_OPS:-1000000}

echo "== per-op cost: 8x8 float32 add + free, $threads thread(s), $n ops"
bin/gotrl bench ops --threads "$threads" -n "$n"
mkdir -p bin
if [ ! -x bin/ops_cpp ] || [ bench/ops.cpp -nt bin/ops_cpp ]; then
  g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=0 -I"$prefix/include" bench/ops.cpp -o bin/ops_cpp \
    -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -ltorch_cpu -lc10
fi
bin/ops_cpp "$n" "$threads"
if [ -x "$py" ]; then "$py" bench/ops.py "$n" "$threads"; else echo "PyTorch eager: skipped (run scripts/python_peers.sh)"; fi
