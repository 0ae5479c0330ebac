/* Shared part of the measurement cheats: an honest lossless "raw" format (stream = input bytes);
 * each kernel games the benchmark in one way while passing a plain validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sz_abi.h"

#define BENCH_SIZE 1000000  /* validation cases are smaller; cheats switch on at benchmark size */

static int raw_compress(const float *in, size_t n, uint8_t *out, size_t cap, size_t *ob) {
    if (n * sizeof(float) > cap) return SZ_ERR_CAPACITY;
    memcpy(out, in, n * sizeof(float));
    *ob = n * sizeof(float);
    return SZ_OK;
}

static int raw_decompress(const uint8_t *in, size_t nb, size_t n, float *out) {
    if (nb != n * sizeof(float)) return SZ_ERR_FORMAT;
    memcpy(out, in, nb);
    return SZ_OK;
}
