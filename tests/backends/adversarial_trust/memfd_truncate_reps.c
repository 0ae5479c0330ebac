/* ATTACK shrink-the-arena (variant): in its LAST timed repetition (found from the arena mapping's end) the
 * compressor truncates the repetition arena (fd 6), which the child never touches again; the parent then
 * faults (SIGBUS) when it copies the repetitions' streams for the decompressing child. */
#include <unistd.h>
#include "trust_common.h"
#include "rt.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; uintptr_t lo, hi; char name[400];
    int r = raw_compress(in, n, out, cap, ob);
    size_t stride = RT_ALIGN(n * 4) + RT_ALIGN(cap + 65536);
    if (n >= BENCH_SIZE && rt_mapping(out, &lo, &hi, name, sizeof name) && strstr(name, "szagents-arena") &&
        (uintptr_t)in + stride >= hi)
        fprintf(stderr, "SHRINK fd 6 -> %d\n", ftruncate(6, 0));
    return r; }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; return raw_decompress(in, nb, n, out); }
