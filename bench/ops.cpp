// ops.cpp — libtorch's own per-op floor for `gotrl bench ops`: an 8x8 float
// add into a heap handle, then delete, exactly what a gotch op + free does
// on the C++ side. Built and run by scripts/bench.sh against the same
// libtorch the Go binary links.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sys/resource.h>

static double thread_cpu_us() {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  int threads = argc > 2 ? atoi(argv[2]) : 0;
  long size = argc > 3 ? atol(argv[3]) : 8;
  if (threads > 0) at::set_num_threads(threads);
  at::Tensor a = at::ones({size, size});
  for (int i = 0; i < 20000; i++) delete new at::Tensor(a.add(a));
  auto t0 = std::chrono::steady_clock::now();
  double c0 = thread_cpu_us();
  for (long i = 0; i < n; i++) delete new at::Tensor(a.add(a));
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  double cpu = thread_cpu_us() - c0;
  printf("libtorch C++ 2.1.0     %ldx%ld add+free        %.3f us/op wall  %.3f us/op cpu  (%ld ops, threads %d)\n",
         size, size, us / n, cpu / n, n, at::get_num_threads());
  return 0;
}
