/* SZp, serial C reference: the cuSZp 1D stream (v2/v3 layout), written for reading.
 *
 * This is the plain, single-threaded version that translation tasks start from. It writes the same
 * bytes as reference.c (the fast OpenMP version) and as the original cuSZp. Build:
 *     gcc -O3 -shared -fPIC -I kernels/abi kernels/szp/serial.c -o libszp.so
 * Plain mode by default; outlier mode with -DSZP_OUTLIER=1 (its decoder reads both block kinds).
 *
 * ---- Format -----------------------------------------------------------------------------------
 * The n values are cut into blocks of 32 (the last block may be shorter). Each value is quantized
 * to an integer q = round-half-up(x / (2 eb)), computed exactly as cuSZp does:
 *     r = 0.5 / eb;  t = x * r;  q = (int)(t + 0.5) - (t < -0.5)      (all in the data's precision)
 * and rebuilt as x' = (q * eb) * 2, so |x - x'| <= eb up to floating-point rounding.
 * Inside a block, q is predicted from its left neighbour (1D Lorenzo): d_i = q_i - q_{i-1} with
 * q_{-1} = 0, so element 0 carries its raw q. Nothing crosses a block boundary. The missing values
 * of a short tail block have d = 0.
 *
 * Stream = [header][payloads], and nothing else (n, eb, type and mode are passed again to decode):
 *   header    one "rate byte" per block, zero padded to ceil(n / 32768) * 1024 bytes
 *   payloads  the payloads of the blocks whose rate byte is not 0, in block order
 *
 * Plain block: rate byte R = bit length of max |d_i| (0 when all d_i are 0: no payload at all).
 *   payload (4 + 4R bytes) = sign word, then R bit-planes, least significant plane first.
 *   sign word:  big-endian uint32, bit (31 - i) set when d_i < 0 (element 0 is byte 0, bit 7)
 *   plane p:    big-endian uint32, bit (31 - i) = bit p of |d_i|
 * Outlier block (SZP_OUTLIER=1 only): element 0 is stored whole, so a large first value does not
 *   force a high rate on the 31 small deltas after it.
 *   R2 = bit length of max |d_i| over i = 1..31, nb = ceil(bitlen(|q_0|) / 8), 1..4 bytes.
 *   chosen when 4 + 4*R2 + nb < the plain size (plain wins ties and rate 0 blocks)
 *   rate byte = 0x80 | (nb - 1) << 5 | R2
 *   payload = |q_0| as nb little-endian bytes, the sign word (always), R2 planes (element 0's
 *   bit is 0 in every plane).
 *
 * ---- Input contract ---------------------------------------------------------------------------
 * SZ_ERR_ARGUMENT  NULL pointer, n == 0, eb <= 0 or not finite
 * SZ_ERR_RANGE     a NaN or Inf, or a quantized value |q| >= 2^20 (f32) or 2^30 (f64), that is
 *                  |x| / (2 eb) rounding to 2^20 or more: beyond what the format keeps exact
 *                  (f32 rebuilds q * 2eb exactly only below 2^24; |d| < 2^31 keeps the
 *                  outlier mode's 5-bit rate field valid)
 * SZ_ERR_CAPACITY  out_capacity is smaller than the stream (nothing is written past it)
 * SZ_ERR_FORMAT    in_bytes differs from the size the rate bytes imply, a rate byte is invalid
 *                  (above 32, or an outlier byte in the plain build), or the padding is not 0
 */
#include "sz_abi.h"

#include <math.h>
#include <string.h>

#ifndef SZP_OUTLIER
#define SZP_OUTLIER 0
#endif

/* cuSZp rounds t = x * r and then t + 0.5 separately; a fused multiply-add would change q. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#define BLOCK 32                     /* values per block */
#define GROUP 32768                  /* values per 1024 header bytes (one cuSZp warp) */
#define MAX_PAYLOAD (4 + 4 + 4 * 32) /* outlier bytes + sign word + 32 planes, at most */
#define LIMIT_F32 (1 << 20)          /* |q| must stay below this for float data */
#define LIMIT_F64 (1 << 30)          /* ... and below this for double data */

/* Header size: one rate byte per block, padded to whole groups of 1024. */
static size_t header_bytes(size_t n)
{
    return (n + GROUP - 1) / GROUP * 1024;
}

/* Number of bits needed to write v (0 for 0). */
static int bit_length(uint32_t v)
{
    int bits = 0;
    while (v != 0) {
        bits++;
        v >>= 1;
    }
    return bits;
}

static void put_be32(uint8_t *dst, uint32_t w)
{
    dst[0] = (uint8_t)(w >> 24);
    dst[1] = (uint8_t)(w >> 16);
    dst[2] = (uint8_t)(w >> 8);
    dst[3] = (uint8_t)w;
}

static uint32_t get_be32(const uint8_t *src)
{
    return (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 | (uint32_t)src[2] << 8 | src[3];
}

/* ---- Quantization -------------------------------------------------------------------------- */

/* Quantize count (1..32) floats into q[0..31]; the tail repeats the last q so its deltas are 0.
 * Returns SZ_ERR_RANGE if a value is not finite or too large for the format. */
static int quantize_f32(const float *x, size_t count, float eb, int32_t q[BLOCK])
{
    const float r = 0.5f / eb;
    for (size_t i = 0; i < BLOCK; i++) {
        if (i >= count) {
            q[i] = q[count - 1];
            continue;
        }
        float t = x[i] * r;
        if (!(fabsf(t) < LIMIT_F32 + 1)) /* NaN, Inf, or far too large to convert safely */
            return SZ_ERR_RANGE;
        q[i] = (int32_t)(t + 0.5f) - (t < -0.5f);
        if (q[i] <= -LIMIT_F32 || q[i] >= LIMIT_F32)
            return SZ_ERR_RANGE;
    }
    return SZ_OK;
}

static int quantize_f64(const double *x, size_t count, float eb, int32_t q[BLOCK])
{
    const double r = 0.5 / (double)eb; /* cuSZp's API passes eb as a float, also for f64 */
    for (size_t i = 0; i < BLOCK; i++) {
        if (i >= count) {
            q[i] = q[count - 1];
            continue;
        }
        double t = x[i] * r;
        if (!(fabs(t) < LIMIT_F64 + 1))
            return SZ_ERR_RANGE;
        q[i] = (int32_t)(t + 0.5) - (t < -0.5);
        if (q[i] <= -LIMIT_F64 || q[i] >= LIMIT_F64)
            return SZ_ERR_RANGE;
    }
    return SZ_OK;
}

/* ---- One block ----------------------------------------------------------------------------- */

/* Write the bit-planes 0..rate-1 of mag[] (plane p: bit 31-i = bit p of mag[i]). */
static void write_planes(const uint32_t mag[BLOCK], int rate, uint8_t *dst)
{
    for (int p = 0; p < rate; p++) {
        uint32_t word = 0;
        for (int i = 0; i < BLOCK; i++)
            word |= ((mag[i] >> p) & 1u) << (31 - i);
        put_be32(dst + 4 * p, word);
    }
}

/* Encode one block of quantized values: set *rate_byte, write the payload, return its size. */
static size_t encode_block(const int32_t q[BLOCK], uint8_t *rate_byte, uint8_t payload[MAX_PAYLOAD])
{
    uint32_t mag[BLOCK];
    uint32_t signs = 0;
    uint32_t max_all = 0, max_rest = 0; /* max |d| over all 32, and over elements 1..31 */
    int32_t prev = 0;
    for (int i = 0; i < BLOCK; i++) {
        int32_t d = q[i] - prev;
        prev = q[i];
        mag[i] = d < 0 ? (uint32_t)0 - (uint32_t)d : (uint32_t)d;
        if (d < 0)
            signs |= 1u << (31 - i);
        if (mag[i] > max_all)
            max_all = mag[i];
        if (i > 0 && mag[i] > max_rest)
            max_rest = mag[i];
    }
    int rate = bit_length(max_all);
    size_t plain_size = rate ? 4 + 4 * (size_t)rate : 0;

    if (SZP_OUTLIER) {
        int rate2 = bit_length(max_rest);
        int nb = (bit_length(mag[0]) + 7) / 8;
        size_t outlier_size = 4 + 4 * (size_t)rate2 + (size_t)nb;
        if (outlier_size < plain_size) {
            *rate_byte = (uint8_t)(0x80 | (nb - 1) << 5 | rate2);
            for (int k = 0; k < nb; k++)
                payload[k] = (uint8_t)(mag[0] >> (8 * k));
            put_be32(payload + nb, signs);
            mag[0] = 0; /* element 0 is already stored whole */
            write_planes(mag, rate2, payload + nb + 4);
            return outlier_size;
        }
    }
    *rate_byte = (uint8_t)rate;
    if (rate == 0)
        return 0;
    put_be32(payload, signs);
    write_planes(mag, rate, payload + 4);
    return plain_size;
}

/* Payload size a rate byte implies, or (size_t)-1 for an invalid rate byte. Outlier blocks
 * (bit 7 set) are valid only in the outlier build; a plain rate is at most 32. */
static size_t payload_size(uint8_t rate_byte)
{
    if (SZP_OUTLIER && (rate_byte & 0x80))
        return 4 + 4 * (size_t)(rate_byte & 0x1f) + (size_t)((rate_byte >> 5) & 3) + 1;
    if (rate_byte > 32)
        return (size_t)-1;
    return rate_byte ? 4 + 4 * (size_t)rate_byte : 0;
}

/* Decode one block's payload into its 32 quantized values. */
static void decode_block(uint8_t rate_byte, const uint8_t *payload, int32_t q[BLOCK])
{
    uint32_t mag[BLOCK] = {0};
    uint32_t signs = 0;
    int rate = rate_byte;
    if (rate_byte & 0x80) { /* outlier block: |q_0| comes first, as nb little-endian bytes */
        int nb = ((rate_byte >> 5) & 3) + 1;
        for (int k = 0; k < nb; k++)
            mag[0] |= (uint32_t)payload[k] << (8 * k);
        payload += nb;
        rate = rate_byte & 0x1f;
        signs = get_be32(payload);
        payload += 4;
    } else if (rate != 0) {
        signs = get_be32(payload);
        payload += 4;
    }
    for (int p = 0; p < rate; p++) {
        uint32_t word = get_be32(payload + 4 * p);
        for (int i = 0; i < BLOCK; i++)
            mag[i] |= ((word >> (31 - i)) & 1u) << p;
    }
    /* Undo the prediction: q_i = q_{i-1} + d_i (unsigned arithmetic wraps on corrupt input). */
    uint32_t sum = 0;
    for (int i = 0; i < BLOCK; i++) {
        sum += (signs >> (31 - i) & 1u) ? (uint32_t)0 - mag[i] : mag[i];
        q[i] = (int32_t)sum;
    }
}

/* ---- Whole stream -------------------------------------------------------------------------- */

/* One pass for both precisions: in points to floats (is_f64 == 0) or doubles. */
static int compress_any(const void *in, int is_f64, size_t n, float eb, uint8_t *out,
                        size_t out_capacity, size_t *out_bytes)
{
    if (in == NULL || out == NULL || out_bytes == NULL || n == 0 || !(eb > 0.0f) || isinf(eb))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK;
    const size_t header = header_bytes(n);
    int32_t q[BLOCK];

    /* Validate every value first, so a bad input reports SZ_ERR_RANGE whatever the capacity. */
    for (size_t b = 0; b < nblocks; b++) {
        size_t start = b * BLOCK, count = n - start < BLOCK ? n - start : BLOCK;
        int status = is_f64 ? quantize_f64((const double *)in + start, count, eb, q)
                            : quantize_f32((const float *)in + start, count, eb, q);
        if (status != SZ_OK)
            return status;
    }
    if (out_capacity < header)
        return SZ_ERR_CAPACITY;
    memset(out, 0, header);

    size_t pos = header;
    uint8_t payload[MAX_PAYLOAD];
    for (size_t b = 0; b < nblocks; b++) {
        size_t start = b * BLOCK, count = n - start < BLOCK ? n - start : BLOCK;
        if (is_f64)
            quantize_f64((const double *)in + start, count, eb, q);
        else
            quantize_f32((const float *)in + start, count, eb, q);
        size_t size = encode_block(q, &out[b], payload);
        if (size > out_capacity - pos)
            return SZ_ERR_CAPACITY;
        memcpy(out + pos, payload, size);
        pos += size;
    }
    *out_bytes = pos;
    return SZ_OK;
}

static int decompress_any(const uint8_t *in, size_t in_bytes, size_t n, float eb, void *out,
                          int is_f64)
{
    if (in == NULL || out == NULL || n == 0 || !(eb > 0.0f) || isinf(eb))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK;
    const size_t header = header_bytes(n);
    if (in_bytes < header)
        return SZ_ERR_FORMAT;

    /* Check the header padding, and the stream size against the rate bytes, before reading
     * any payload. */
    for (size_t b = nblocks; b < header; b++)
        if (in[b] != 0)
            return SZ_ERR_FORMAT;
    size_t total = header;
    for (size_t b = 0; b < nblocks; b++) {
        size_t size = payload_size(in[b]);
        if (size == (size_t)-1)
            return SZ_ERR_FORMAT;
        total += size;
    }
    if (total != in_bytes)
        return SZ_ERR_FORMAT;

    const uint8_t *payload = in + header;
    int32_t q[BLOCK];
    for (size_t b = 0; b < nblocks; b++) {
        decode_block(in[b], payload, q); /* a rate-0 block decodes to 32 zeros */
        payload += payload_size(in[b]);
        size_t start = b * BLOCK, count = n - start < BLOCK ? n - start : BLOCK;
        for (size_t i = 0; i < count; i++) {
            if (is_f64)
                ((double *)out)[start + i] = ((double)q[i] * (double)eb) * 2.0;
            else
                ((float *)out)[start + i] = ((float)q[i] * eb) * 2.0f;
        }
    }
    return SZ_OK;
}

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream)
{
    (void)stream;
    return compress_any(in, 0, n, eb, out, out_capacity, out_bytes);
}

int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    (void)stream;
    return decompress_any(in, in_bytes, n, eb, out, 0);
}

int sz_compress_f64(const double *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                    size_t *out_bytes, void *stream)
{
    (void)stream;
    return compress_any(in, 1, n, eb, out, out_capacity, out_bytes);
}

int sz_decompress_f64(const uint8_t *in, size_t in_bytes, size_t n, float eb, double *out,
                      void *stream)
{
    (void)stream;
    return decompress_any(in, in_bytes, n, eb, out, 1);
}
