/* Control: the raw format, honestly, every call. */
#include "trust_common.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s) {
    (void)eb; (void)s; return raw_compress(in, n, out, cap, ob); }
int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s) {
    (void)eb; (void)s; return raw_decompress(in, nb, n, out); }
