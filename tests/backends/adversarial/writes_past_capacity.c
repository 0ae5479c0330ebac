/* Writes a trailer of 64 bytes past out_capacity. */
#include "raw_common.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; int rc = raw_compress(in, n, out, cap, ob); memset(out + cap, 0, 64); return rc; }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; (void)n; memcpy(out, in, nb); return SZ_OK; }
