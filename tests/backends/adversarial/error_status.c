/* Rejects valid input with SZ_ERR_RANGE. */
#include "raw_common.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; (void)in; (void)n; (void)out; (void)cap; (void)ob; return SZ_ERR_RANGE; }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; (void)n; memcpy(out, in, nb); return SZ_OK; }
