// ops.cpp — libtorch's own per-op floor for `gotrl bench ops`: an 8x8 float
// add into a heap handle, then delete, exactly what a gotch op + free does
// on the C++ side. Built and run by scripts/bench.sh against the same
// libtorch the Go binary links.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int threads = argc > 2 ? atoi(argv[2]) : 0;
  long size = argc > 3 ? atol(argv[3]) : 8;
  if (threads > 0) at::set_num_threads(threads);
  at::Tensor a = at::ones({size, size});
  for (int i = 0; i < 20000; i++) delete new at::Tensor(a.add(a));
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; i++) delete new at::Tensor(a.add(a));
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  printf("libtorch C++ %s       %ldx%ld add+free  %.3f us/op over %ld ops (threads %d)\n",
         "2.1", size, size, us / n, n, at::get_num_threads());
  return 0;
}
