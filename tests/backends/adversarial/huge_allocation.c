/* Tries to allocate and touch 64 GiB: the address-space limit must stop it. */
#include <stdlib.h>
#include "raw_common.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; size_t big = (size_t)64 << 30; char *p = malloc(big);
    if (!p) return SZ_ERR_DEVICE; memset(p, 1, big); free(p); return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; (void)n; memcpy(out, in, nb); return SZ_OK; }
