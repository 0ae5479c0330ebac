/* Reports half the stream it wrote, to look like a 2x compressor, and decodes past in_bytes. */
#include "raw_common.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; int rc = raw_compress(in, n, out, cap, ob); *ob = (*ob + 1) / 2; return rc; }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; (void)nb; memcpy(out, in, n * sizeof(float)); return SZ_OK; }
