/* A small honest codec with two modes chosen per stream (header byte): 0 = raw floats (ratio 1),
 * 1 = quantized to 2*eb with int16 deltas (ratio ~2, slower). Decoding reads the mode from the stream. */
#include <math.h>
#include "trust_common.h"
#include "rt.h"
static int q_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, int mode) {
    if (mode == 1) {
        size_t need = 1 + 4 + 2 * (n - 1); if (need > cap) return SZ_ERR_CAPACITY;
        double step = 2.0 * (double)eb; long long prev = llround(in[0] / step);
        if (prev > INT32_MAX || prev < INT32_MIN) goto raw;
        int32_t q0 = (int32_t)prev; out[0] = 1; memcpy(out + 1, &q0, 4);
        int16_t *d = (int16_t *)(out + 5);
        for (size_t i = 1; i < n; i++) {
            long long q = llround(in[i] / step), dd = q - prev;
            if (dd > INT16_MAX || dd < INT16_MIN || !isfinite(in[i])) goto raw;
            int16_t v = (int16_t)dd; memcpy(d + i - 1, &v, 2); prev = q;
        }
        *ob = need; return SZ_OK;
    }
raw:
    if (n * 4 + 1 > cap) return SZ_ERR_CAPACITY;
    out[0] = 0; memcpy(out + 1, in, n * 4); *ob = n * 4 + 1; return SZ_OK;
}
static int q_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out) {
    if (nb < 1) return SZ_ERR_FORMAT;
    if (in[0] == 0) { if (nb != n * 4 + 1) return SZ_ERR_FORMAT; memcpy(out, in + 1, n * 4); return SZ_OK; }
    if (nb != 1 + 4 + 2 * (n - 1)) return SZ_ERR_FORMAT;
    double step = 2.0 * (double)eb; int32_t q0; memcpy(&q0, in + 1, 4); long long q = q0;
    out[0] = (float)(q * step);
    for (size_t i = 1; i < n; i++) { int16_t v; memcpy(&v, in + 5 + 2 * (i - 1), 2); q += v; out[i] = (float)(q * step); }
    return SZ_OK;
}
