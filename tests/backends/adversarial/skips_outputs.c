/* Never writes every 1000th output element. */
#include "raw_common.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; (void)nb; const float *src = (const float *)in;
    for (size_t i = 0; i < n; i++) if (i % 1000 != 7) out[i] = src[i]; return SZ_OK; }
