/* Shared part of the sandbox's hostile kernels: an honest lossless "raw" format (the stream is the
 * input's bytes). Each kernel defines hostile(), which runs on the first sz_compress call; the
 * harness must contain it and still measure the honest part. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sz_abi.h"

static void hostile(void);

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    static int once;
    (void)eb; (void)s;
    if (!once) { once = 1; hostile(); }
    if (n * sizeof(float) > cap) return SZ_ERR_CAPACITY;
    memcpy(out, in, n * sizeof(float));
    *ob = n * sizeof(float);
    return SZ_OK;
}

int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s;
    if (nb != n * sizeof(float)) return SZ_ERR_FORMAT;
    memcpy(out, in, nb);
    return SZ_OK;
}
