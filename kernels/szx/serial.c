/* SZx, serial C reference: the SZx random-access stream (block size 128), written for reading.
 *
 * This is the plain, single-threaded version that translation tasks start from. It writes the same
 * bytes as reference.c (the fast OpenMP version) and as the original SZx 1.1.1 (`szx -m 3`, which
 * `-m 4` matches).
 * Build:  gcc -O3 -shared -fPIC -I kernels/abi kernels/szx/serial.c -o libszx.so
 *
 * ---- Format -----------------------------------------------------------------------------------
 * The n floats are cut into blocks of 128 (the last block holds the n % 128 rest). For each block:
 *   radius = (max - min) / 2,  median = min + radius                  (float arithmetic)
 *   constant block (radius <= eb): only the median is stored; every value decodes to it.
 *   otherwise a record keeps the top L bits of each d = x - median:
 *     L = 10 + E(radius) - E(eb), clamped to [9, 32]; E(v) is the unbiased IEEE exponent.
 *         If L would exceed 32, L = 32 and median = 0: the block is stored losslessly.
 *         Blocks holding a NaN or an Inf always take this lossless path (L = 32, median = 0).
 *     B = ceil(L / 8) bytes per value are kept, s = 8B - L.
 *     v = bits(d) >> s (logical shift) puts the L kept bits in the low end of v's top B bytes.
 *     lead = how many leading bytes v shares with the previous v of the block (0 before the
 *            first value), capped at 3. Only v's bytes below the shared ones and within the top
 *            B are stored: "mid-bytes" with byte indices 4-B .. 3-min(lead, B) of v, least
 *            significant first (little-endian byte indices: byte 3 is the most significant).
 *   record = [L: 1 byte][median: 4 bytes BE][lead codes: 2 bits per value, 4 per byte, first
 *            value in the high bits, ceil(m / 4) bytes][mid-bytes]      (m = values in the block)
 *   Decoding: v = top min(lead, B) bytes of the previous v, then the stored bytes, zeros below;
 *   x' = float(v << s) + median. The dropped bits cost less than 2^(E(eb) - 1) <= eb / 2 (plus
 *   float rounding); a constant block is off by at most its radius <= eb.
 *   With a median of +0.0 (lossless blocks, and blocks centred on 0), d is taken as the bits of x
 *   and the decoder adds nothing, so NaN payloads and -0.0 come back bit for bit.
 *
 * Stream (all counts for nblocks = ceil(n / 128) blocks, the tail block included):
 *   4 bytes     1, 1, 1, 1        (SZx version 1.1, then 1, then the random-access flag 1)
 *   8 bytes     block size (128), big-endian
 *   8 bytes     number of constant blocks, big-endian
 *   2 bytes     per non-constant block: its record size, little-endian uint16, in block order
 *   ceil(nblocks / 8) bytes   state bitmap, most significant bit first, 1 = non-constant
 *   4 bytes     per constant block: its median, big-endian float, in block order
 *   records     of the non-constant blocks, in block order
 * n and eb are not stored: the caller passes them again to decompress.
 *
 * ---- Input contract ---------------------------------------------------------------------------
 * SZ_ERR_ARGUMENT  NULL pointer, n == 0, eb <= 0 or not finite
 * SZ_ERR_CAPACITY  out_capacity is smaller than the stream (nothing is written past it)
 * SZ_ERR_FORMAT    a stream that is truncated, too long, or inconsistent with n (bitmap and
 *                  constant count disagree, a record whose codes disagree with its size, L
 *                  outside 9..32, a block size other than 128)
 * NaN and Inf are accepted and come back exactly (lossless blocks).
 */
#include "sz_abi.h"

#include <math.h>
#include <string.h>

/* Keep every float operation rounded on its own, as the original computes it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#define BLOCK 128
#define HEADER 20 /* version bytes, block size, constant-block count */
#define MAX_RECORD (1 + 4 + BLOCK / 4 + 4 * BLOCK)

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Unbiased exponent of a float (the subnormal and zero exponent field gives -127). */
static int exponent_f32(float v)
{
    return (int)((float_bits(v) >> 23) & 0xff) - 127;
}

/* Unbiased exponent of a double: the original takes E(eb) after promoting eb to double. */
static int exponent_f64(double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return (int)((u >> 52) & 0x7ff) - 1023;
}

static void put_be32(uint8_t *dst, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        dst[k] = (uint8_t)(v >> (24 - 8 * k));
}

static uint32_t get_be32(const uint8_t *src)
{
    return (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 | (uint32_t)src[2] << 8 | src[3];
}

static void put_be64(uint8_t *dst, uint64_t v)
{
    for (int k = 0; k < 8; k++)
        dst[k] = (uint8_t)(v >> (56 - 8 * k));
}

static uint64_t get_be64(const uint8_t *src)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = v << 8 | src[k];
    return v;
}

/* ---- One block ----------------------------------------------------------------------------- */

/* Block statistics: median and radius as the original computes them; 0 if a value is NaN/Inf.
 * (The order in which min and max are found does not matter: only -0.0 vs +0.0 could differ,
 * and that changes neither the radius nor the median.) */
static int block_stats(const float *x, size_t m, float *median, float *radius)
{
    float min = x[0], max = x[0];
    for (size_t i = 0; i < m; i++) {
        if (!isfinite(x[i]))
            return 0;
        if (x[i] < min)
            min = x[i];
        if (x[i] > max)
            max = x[i];
    }
    *radius = (max - min) / 2;
    *median = min + *radius;
    return 1;
}

/* Is the block constant (only its median is stored)? Also returns the median. */
static int is_constant(const float *x, size_t m, float eb, float *median)
{
    float radius;
    return block_stats(x, m, median, &radius) && radius <= eb;
}

/* Write the record of a non-constant block into rec; return its size. */
static size_t encode_block(const float *x, size_t m, float eb, uint8_t *rec)
{
    float median = 0.0f, radius;
    int length = 32; /* a block with NaN or Inf is stored losslessly, with median 0 */
    if (block_stats(x, m, &median, &radius)) {
        length = 10 + exponent_f32(radius) - exponent_f64((double)eb);
        if (length < 9)
            length = 9;
        if (length > 32) { /* too many bits needed: lossless, around 0 */
            length = 32;
            median = 0.0f;
        }
    }
    int nbytes = (length + 7) / 8;     /* B: bytes kept per value */
    int shift = 8 * nbytes - length;   /* s: low bits dropped by the shift */
    uint8_t *codes = rec + 5;
    uint8_t *mid = codes + (m + 3) / 4;

    rec[0] = (uint8_t)length;
    put_be32(rec + 1, float_bits(median));
    memset(codes, 0, (m + 3) / 4);

    const int zero_median = float_bits(median) == 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < m; i++) {
        /* With a +0 median, d is x itself (x - 0 would quiet a signalling NaN). */
        uint32_t d = zero_median ? float_bits(x[i]) : float_bits(x[i] - median);
        uint32_t v = d >> shift; /* logical shift: the s bits above are 0 */
        uint32_t diff = v ^ prev;
        int lead = 0; /* identical leading bytes, at most 3 */
        if (diff >> 8 == 0)
            lead = 3;
        else if (diff >> 16 == 0)
            lead = 2;
        else if (diff >> 24 == 0)
            lead = 1;
        codes[i / 4] |= (uint8_t)(lead << (6 - 2 * (i % 4)));
        /* Mid-bytes: v's bytes 4-B .. 3-min(lead,B), least significant first. */
        for (int k = 4 - nbytes; k <= 3 - lead; k++)
            *mid++ = (uint8_t)(v >> (8 * k));
        prev = v;
    }
    return (size_t)(mid - rec);
}

/* Decode one record of m values into out; return 0, or -1 if it does not match its size. */
static int decode_block(const uint8_t *rec, size_t size, size_t m, float *out)
{
    size_t ncodes = (m + 3) / 4;
    if (size < 5 + ncodes)
        return -1;
    int length = rec[0];
    if (length < 9 || length > 32)
        return -1;
    float median = bits_float(get_be32(rec + 1));
    int zero_median = float_bits(median) == 0;
    int nbytes = (length + 7) / 8;
    int shift = 8 * nbytes - length;
    const uint8_t *codes = rec + 5;
    const uint8_t *mid = codes + ncodes;
    const uint8_t *end = rec + size;

    uint32_t prev = 0;
    for (size_t i = 0; i < m; i++) {
        int lead = (codes[i / 4] >> (6 - 2 * (i % 4))) & 3;
        if (lead > nbytes)
            lead = nbytes;
        uint32_t v = 0;
        for (int k = 3; k > 3 - lead; k--) /* the shared leading bytes */
            v |= prev & (0xffu << (8 * k));
        if (end - mid < nbytes - lead)
            return -1;
        for (int k = 4 - nbytes; k <= 3 - lead; k++) /* the stored bytes */
            v |= (uint32_t)*mid++ << (8 * k);
        /* A +0 median is not added, so -0.0 and NaN payloads of lossless blocks stay exact. */
        out[i] = zero_median ? bits_float(v << shift) : bits_float(v << shift) + median;
        prev = v;
    }
    return mid == end ? 0 : -1;
}

/* ---- Whole stream -------------------------------------------------------------------------- */

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream)
{
    (void)stream;
    if (in == NULL || out == NULL || out_bytes == NULL || n == 0 || !(eb > 0.0f) || isinf(eb))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK;

    /* Pass 1: classify the blocks, so the sections before the records can be sized. */
    size_t nconstant = 0;
    for (size_t b = 0; b < nblocks; b++) {
        size_t m = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
        float median;
        nconstant += is_constant(in + b * BLOCK, m, eb, &median);
    }
    const size_t nrecords = nblocks - nconstant;
    const size_t sizes_at = HEADER;
    const size_t bitmap_at = sizes_at + 2 * nrecords;
    const size_t medians_at = bitmap_at + (nblocks + 7) / 8;
    const size_t records_at = medians_at + 4 * nconstant;
    if (out_capacity < records_at)
        return SZ_ERR_CAPACITY;

    static const uint8_t magic[4] = {1, 1, 1, 1};
    memcpy(out, magic, 4);
    put_be64(out + 4, BLOCK);
    put_be64(out + 12, nconstant);
    memset(out + bitmap_at, 0, (nblocks + 7) / 8);

    /* Pass 2: write each block's median or record, and its size and state bit. */
    size_t pos = records_at, record = 0, constant = 0;
    uint8_t rec[MAX_RECORD];
    for (size_t b = 0; b < nblocks; b++) {
        size_t m = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
        float median;
        if (is_constant(in + b * BLOCK, m, eb, &median)) {
            put_be32(out + medians_at + 4 * constant++, float_bits(median));
            continue;
        }
        size_t size = encode_block(in + b * BLOCK, m, eb, rec);
        if (size > out_capacity - pos)
            return SZ_ERR_CAPACITY;
        memcpy(out + pos, rec, size);
        pos += size;
        out[sizes_at + 2 * record] = (uint8_t)size;
        out[sizes_at + 2 * record + 1] = (uint8_t)(size >> 8);
        record++;
        out[bitmap_at + b / 8] |= (uint8_t)(0x80 >> (b % 8));
    }
    *out_bytes = pos;
    return SZ_OK;
}

int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    (void)stream;
    if (in == NULL || out == NULL || n == 0 || !(eb > 0.0f) || isinf(eb))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK;
    if (in_bytes < HEADER || in[0] != 1 || in[1] != 1 || in[2] != 1 || in[3] != 1)
        return SZ_ERR_FORMAT;
    if (get_be64(in + 4) != BLOCK)
        return SZ_ERR_FORMAT;
    const uint64_t nconstant = get_be64(in + 12);
    if (nconstant > nblocks)
        return SZ_ERR_FORMAT;
    const size_t nrecords = nblocks - (size_t)nconstant;
    const size_t sizes_at = HEADER;
    const size_t bitmap_at = sizes_at + 2 * nrecords;
    const size_t medians_at = bitmap_at + (nblocks + 7) / 8;
    const size_t records_at = medians_at + 4 * (size_t)nconstant;
    if (in_bytes < records_at)
        return SZ_ERR_FORMAT;

    /* The bitmap must agree with the constant count, and the record sizes with in_bytes. */
    size_t set = 0;
    for (size_t b = 0; b < 8 * ((nblocks + 7) / 8); b++) { /* padding bits must be 0 */
        int bit = (in[bitmap_at + b / 8] >> (7 - b % 8)) & 1;
        if (b >= nblocks && bit)
            return SZ_ERR_FORMAT;
        set += (size_t)bit;
    }
    size_t total = records_at;
    for (size_t r = 0; r < nrecords; r++)
        total += (size_t)in[sizes_at + 2 * r] | (size_t)in[sizes_at + 2 * r + 1] << 8;
    if (set != nrecords || total != in_bytes)
        return SZ_ERR_FORMAT;

    size_t pos = records_at, record = 0, constant = 0;
    for (size_t b = 0; b < nblocks; b++) {
        size_t m = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
        float *dst = out + b * BLOCK;
        if (((in[bitmap_at + b / 8] >> (7 - b % 8)) & 1) == 0) {
            float median = bits_float(get_be32(in + medians_at + 4 * constant++));
            for (size_t i = 0; i < m; i++)
                dst[i] = median;
            continue;
        }
        const uint8_t *size_bytes = in + sizes_at + 2 * record++;
        size_t size = (size_t)size_bytes[0] | (size_t)size_bytes[1] << 8;
        if (decode_block(in + pos, size, m, dst) != 0)
            return SZ_ERR_FORMAT;
        pos += size;
    }
    return SZ_OK;
}
