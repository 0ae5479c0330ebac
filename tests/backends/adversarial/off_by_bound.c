/* A sloppy lossy kernel: element 123 comes back 3 eb away from the original. */
#include "raw_common.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)s; memcpy(out, in, nb); if (n > 123) out[123] += 3.0f * eb; return SZ_OK; }
