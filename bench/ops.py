"""ops.py — PyTorch eager's per-op cost for the same op as `gotrl bench ops`
(8x8 float add; the result is released when the name is rebound). Run by
scripts/bench.sh with the peers venv (scripts/python_peers.sh)."""
import sys, time
import torch

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
size = int(sys.argv[3]) if len(sys.argv) > 3 else 8
if threads > 0:
    torch.set_num_threads(threads)
a = torch.ones(size, size)
for _ in range(20000):
    c = a.add(a)
t0, c0 = time.perf_counter(), time.thread_time()
for _ in range(n):
    c = a.add(a)
us = (time.perf_counter() - t0) * 1e6 / n
cpu = (time.thread_time() - c0) * 1e6 / n
print(f"PyTorch {torch.__version__} eager {size}x{size} add+free  {us:.3f} us/op wall  {cpu:.3f} us/op cpu  ({n} ops, threads {torch.get_num_threads()})")
