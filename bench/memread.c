// memread.c — the memory's read speed for decoding's figures: decoding one
// token at batch 1 reads every weight once, so no program decodes faster
// than the machine reads that many bytes. It reads a buffer of BYTES
// (2 MiB aligned, transparent huge pages asked for, as gotrl's allocator
// maps weights) with THREADS threads, each summing its contiguous share,
// and prints the median of PASSES passes:
//
//   memread BYTES THREADS [PASSES]   →   "read 46.8 GB/s"
//
// Built and run by scripts/bench.sh, interleaved with the decoders, since
// the read speed of a shared machine drifts from minute to minute.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef float v16 __attribute__((vector_size(64)));

struct share {
  const v16 *p;
  size_t n; // vectors
  float sum; // one lane of the sums, so that the reads are not optimised away
};

static void *reader(void *arg) {
  struct share *s = arg;
  v16 a = {0}, b = {0}, c = {0}, d = {0};
  size_t i = 0;
  for (; i + 4 <= s->n; i += 4) {
    a += s->p[i];
    b += s->p[i + 1];
    c += s->p[i + 2];
    d += s->p[i + 3];
  }
  s->sum = (a + b + c + d)[0];
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: memread BYTES THREADS [PASSES]\n");
    return 2;
  }
  size_t bytes = strtoull(argv[1], NULL, 10);
  int threads = atoi(argv[2]), passes = argc > 3 ? atoi(argv[3]) : 9;
  if (bytes < 4096 || threads < 1 || threads > 1024 || passes < 1 || passes > 1000) {
    fprintf(stderr, "memread: want BYTES ≥ 4096, 1 ≤ THREADS ≤ 1024, 1 ≤ PASSES ≤ 1000\n");
    return 2;
  }
  const size_t huge = (size_t)2 << 20;
  bytes = (bytes + huge - 1) / huge * huge;
  v16 *buf = aligned_alloc(huge, bytes);
  if (buf == NULL) {
    fprintf(stderr, "memread: cannot allocate %zu bytes\n", bytes);
    return 1;
  }
  madvise(buf, bytes, MADV_HUGEPAGE);
  memset(buf, 1, bytes);
  size_t n = bytes / sizeof(v16);
  struct share *sh = calloc(threads, sizeof *sh);
  pthread_t *tid = calloc(threads, sizeof *tid);
  double *gbs = calloc(passes, sizeof *gbs);
  float keep = 0;
  for (int r = 0; r < passes; r++) {
    double t0 = now();
    for (int i = 0; i < threads; i++) {
      sh[i].p = buf + n / threads * i;
      sh[i].n = i == threads - 1 ? n - n / threads * i : n / threads;
      if (i > 0)
        pthread_create(&tid[i], NULL, reader, &sh[i]);
    }
    reader(&sh[0]);
    for (int i = 1; i < threads; i++)
      pthread_join(tid[i], NULL);
    gbs[r] = bytes / (now() - t0) / 1e9;
    for (int i = 0; i < threads; i++)
      keep += sh[i].sum;
  }
  qsort(gbs, passes, sizeof *gbs, cmp);
  printf("read %.1f GB/s (%d threads, %zu MB, median of %d passes%s)\n", gbs[passes / 2], threads, bytes >> 20, passes,
         keep == 12345 ? " " : "");
  return 0;
}
