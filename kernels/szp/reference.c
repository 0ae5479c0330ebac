/* SZp, fast C/OpenMP reference: the cuSZp 1D stream (v2/v3 layout), plain or outlier mode.
 *
 * Same ABI and the same bytes as serial.c (which documents the format at length) and as the
 * original cuSZp. Plain mode by default; outlier mode with -DSZP_OUTLIER=1 (whose decoder reads
 * both block kinds). f32 and f64 (eb stays a float, as in cuSZp's API).
 *     gcc -O3 -march=native -fopenmp -shared -fPIC -I kernels/abi kernels/szp/reference.c
 *
 * Stream: [one rate byte per 32-value block, zero padded to ceil(n/32768)*1024 bytes]
 *         [payloads of the blocks with a non-zero rate byte, in block order]
 * Plain payload: sign word + R bit-planes (big-endian words, bit 31-i = element i); R = 0: none.
 * Outlier payload: |q0| in nb LE bytes + sign word + R2 planes; rate byte 0x80|(nb-1)<<5|R2.
 *
 * Parallel scheme. The blocks are cut into chunks of 1024 (32768 values) that threads take one
 * at a time (dynamic schedule, so a thread slowed by another process does not hold up the rest).
 * Compression: each chunk is quantized and encoded into its own slot of a scratch buffer (chunk 0
 * straight into the output when the capacity allows) and its rate bytes go into the header; an
 * exclusive scan of the chunk sizes then gives each chunk's offset, and the chunks are copied into
 * place in parallel. Decompression: each chunk's payload size is summed from its rate bytes, the
 * scan gives the offsets and the stream size is checked before any payload is read, then the
 * chunks are decoded in parallel.
 *
 * Arithmetic is exactly cuSZp's: r = 0.5/eb, t = x*r, q = (int)(t+0.5) - (t < -0.5) in the data's
 * precision, x' = (q*eb)*2. Status codes: SZ_ERR_ARGUMENT (NULL, n == 0, eb <= 0 or not finite),
 * SZ_ERR_RANGE (NaN/Inf, or |q| >= 2^20 for f32, 2^30 for f64), SZ_ERR_CAPACITY, SZ_ERR_FORMAT
 * (stream size differs from what the rate bytes imply, an invalid rate byte, non-zero padding).
 */
#include "sz_abi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef SZP_OUTLIER
#define SZP_OUTLIER 0
#endif
#ifndef SZP_PORTABLE
#define SZP_PORTABLE 0
#endif

/* The AVX2 bit-plane packer is used where the compiler targets AVX2 (e.g. -march=native on a
 * recent x86); -DSZP_PORTABLE=1 forces the plain C loop (the tests build both). */
#if defined(__AVX2__) && !SZP_PORTABLE
#define SZP_AVX2 1
#include <immintrin.h>
#else
#define SZP_AVX2 0
#endif

/* cuSZp rounds t = x * r and then t + 0.5 separately; a fused multiply-add would change q.
 * (No trapping math lets GCC vectorize the selects that keep float-to-int conversions defined.) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off", "no-trapping-math")
#endif

#define BLOCK 32
#define GROUP 32768                  /* values per 1024 header bytes */
#define MAX_PAYLOAD (4 + 4 + 4 * 32) /* outlier bytes + sign word + 32 planes */
#define CHUNK 1024                   /* blocks per unit of parallel work (32768 values) */
#define LIMIT_F32 (1 << 20)          /* |q| must stay below this for float data */
#define LIMIT_F64 (1 << 30)          /* ... and below this for double data */

/* |q| >= limit, tested branch-free (NaN, Inf and t too large to convert are caught on t). */
#define Q_BAD(q, limit) ((uint32_t)(q) + (uint32_t)((limit) - 1) > 2u * (uint32_t)((limit) - 1))

#define INLINE static inline __attribute__((always_inline))

static size_t header_bytes(size_t n)
{
    return (n + GROUP - 1) / GROUP * 1024;
}

INLINE int bit_length(uint32_t v)
{
    return v ? 32 - __builtin_clz(v) : 0;
}

INLINE void store_be32(uint8_t *dst, uint32_t w)
{
    w = __builtin_bswap32(w);
    memcpy(dst, &w, 4);
}

INLINE uint32_t load_be32(const uint8_t *src)
{
    uint32_t w;
    memcpy(&w, src, 4);
    return __builtin_bswap32(w);
}

/* Threads for nchunks chunks of work: no more than chunks (one chunk runs on the caller). */
static int thread_count(size_t nchunks)
{
#ifdef _OPENMP
    const int max = omp_get_max_threads();
    return nchunks < (size_t)max ? (int)nchunks : max;
#else
    (void)nchunks;
    return 1;
#endif
}

/* ---- Compression ---------------------------------------------------------------------------- */

/* Quantize one block into qx[1..32] (qx[0] = 0 is the predecessor of element 0). A short tail
 * repeats its last q, so its deltas are 0. Returns non-zero if a value is out of range. */
INLINE int quantize_f32(const float *x, size_t count, float r, int32_t qx[BLOCK + 1])
{
    int bad = 0;
    qx[0] = 0;
    if (count == BLOCK) {
        for (int i = 0; i < BLOCK; i++) {
            float t = x[i] * r;
            bad |= !(fabsf(t) < LIMIT_F32 + 1.0f); /* NaN, Inf, or far too large */
            t = fabsf(t) < LIMIT_F32 + 1.0f ? t : 0.0f; /* keeps the conversion defined */
            qx[i + 1] = (int32_t)(t + 0.5f) - (t < -0.5f);
            bad |= Q_BAD(qx[i + 1], LIMIT_F32);
        }
        return bad;
    }
    for (size_t i = 0; i < count; i++) {
        float t = x[i] * r;
        bad |= !(fabsf(t) < LIMIT_F32 + 1.0f); /* NaN, Inf, or far too large */
        t = fabsf(t) < LIMIT_F32 + 1.0f ? t : 0.0f; /* keeps the conversion defined */
        qx[i + 1] = (int32_t)(t + 0.5f) - (t < -0.5f);
        bad |= Q_BAD(qx[i + 1], LIMIT_F32);
    }
    for (size_t i = count; i < BLOCK; i++)
        qx[i + 1] = qx[count];
    return bad;
}

INLINE int quantize_f64(const double *x, size_t count, double r, int32_t qx[BLOCK + 1])
{
    int bad = 0;
    qx[0] = 0;
    if (count == BLOCK) {
        for (int i = 0; i < BLOCK; i++) {
            double t = x[i] * r;
            bad |= !(fabs(t) < LIMIT_F64 + 1.0); /* NaN, Inf, or far too large */
            t = fabs(t) < LIMIT_F64 + 1.0 ? t : 0.0; /* keeps the conversion defined */
            qx[i + 1] = (int32_t)(t + 0.5) - (t < -0.5);
            bad |= Q_BAD(qx[i + 1], LIMIT_F64);
        }
        return bad;
    }
    for (size_t i = 0; i < count; i++) {
        double t = x[i] * r;
        bad |= !(fabs(t) < LIMIT_F64 + 1.0); /* NaN, Inf, or far too large */
        t = fabs(t) < LIMIT_F64 + 1.0 ? t : 0.0; /* keeps the conversion defined */
        qx[i + 1] = (int32_t)(t + 0.5) - (t < -0.5);
        bad |= Q_BAD(qx[i + 1], LIMIT_F64);
    }
    for (size_t i = count; i < BLOCK; i++)
        qx[i + 1] = qx[count];
    return bad;
}

/* Bit-planes 0..rate-1 of mag[]: plane p has bit 31-i = bit p of mag[i], stored big-endian. */
#if SZP_AVX2
/* Eight lanes at a time: reverse the lanes so that a movemask of the shifted lanes yields one
 * finished byte (element 8k in bit 7), then walk the planes from the top one down by shifting
 * each lane left one bit at a time: the plane being written always sits in the sign bits. */
INLINE void write_planes(const uint32_t mag[BLOCK], int rate, uint8_t *dst)
{
    const __m256i reverse = _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    const __m128i top = _mm_cvtsi32_si128(32 - rate);
    __m256i v[4];
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_si256((const __m256i *)(mag + 8 * k));
        v[k] = _mm256_sll_epi32(_mm256_permutevar8x32_epi32(v[k], reverse), top);
    }
    for (int p = rate - 1; p >= 0; p--) {
        uint32_t word = 0; /* little-endian host: byte k of memory = byte k of the BE word */
        for (int k = 0; k < 4; k++) {
            word |= (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(v[k])) << (8 * k);
            v[k] = _mm256_slli_epi32(v[k], 1);
        }
        memcpy(dst + 4 * p, &word, 4);
    }
}
#else
INLINE void write_planes(const uint32_t mag[BLOCK], int rate, uint8_t *dst)
{
    for (int p = 0; p < rate; p++) {
        uint32_t word = 0;
        for (int i = 0; i < BLOCK; i++)
            word |= ((mag[i] >> p) & 1u) << (31 - i);
        store_be32(dst + 4 * p, word);
    }
}
#endif

/* Encode one quantized block: set *rate_byte, write the payload to dst, return its size. */
INLINE size_t encode_block(const int32_t qx[BLOCK + 1], uint8_t *rate_byte, uint8_t *dst)
{
    uint32_t mag[BLOCK];
    uint32_t signs = 0, any = 0;
    for (int i = 0; i < BLOCK; i++) {
        int32_t d = qx[i + 1] - qx[i];
        uint32_t neg = (uint32_t)d >> 31;
        mag[i] = ((uint32_t)d ^ (0u - neg)) + neg; /* |d| */
        signs |= neg << (31 - i);
        any |= mag[i];
    }
    const int rate = bit_length(any); /* the bit length of the OR is that of the maximum */
#if SZP_OUTLIER
    uint32_t rest = 0;
    for (int i = 1; i < BLOCK; i++)
        rest |= mag[i];
    const int rate2 = bit_length(rest);
    const int nb = (bit_length(mag[0]) + 7) / 8;
    const size_t outlier_size = 4 + 4 * (size_t)rate2 + (size_t)nb;
    if (rate != 0 && outlier_size < 4 + 4 * (size_t)rate) {
        *rate_byte = (uint8_t)(0x80 | (nb - 1) << 5 | rate2);
        for (int k = 0; k < nb; k++) /* |q0|, little-endian */
            dst[k] = (uint8_t)(mag[0] >> (8 * k));
        store_be32(dst + nb, signs);
        mag[0] = 0;
        write_planes(mag, rate2, dst + nb + 4);
        return outlier_size;
    }
#endif
    *rate_byte = (uint8_t)rate;
    if (rate == 0)
        return 0;
    store_be32(dst, signs);
    write_planes(mag, rate, dst + 4);
    return 4 + 4 * (size_t)rate;
}

/* Compress blocks [b0, b1) into dst (room for MAX_PAYLOAD per block); rate bytes into rates.
 * Returns the payload size, or (size_t)-1 if a value is out of range. */
INLINE size_t compress_range(const void *in, int is_f64, size_t n, float eb, size_t b0, size_t b1,
                             uint8_t *rates, uint8_t *dst)
{
    const float r32 = 0.5f / eb;
    const double r64 = 0.5 / (double)eb;
    int32_t qx[BLOCK + 1];
    size_t pos = 0;
    int bad = 0;
    for (size_t b = b0; b < b1; b++) {
        size_t start = b * BLOCK, count = n - start < BLOCK ? n - start : BLOCK;
        if (is_f64)
            bad |= quantize_f64((const double *)in + start, count, r64, qx);
        else
            bad |= quantize_f32((const float *)in + start, count, r32, qx);
        pos += encode_block(qx, &rates[b], dst + pos);
    }
    return bad ? (size_t)-1 : pos;
}

static size_t compress_range_f32(const float *in, size_t n, float eb, size_t b0, size_t b1,
                                 uint8_t *rates, uint8_t *dst)
{
    return compress_range(in, 0, n, eb, b0, b1, rates, dst);
}

static size_t compress_range_f64(const double *in, size_t n, float eb, size_t b0, size_t b1,
                                 uint8_t *rates, uint8_t *dst)
{
    return compress_range(in, 1, n, eb, b0, b1, rates, dst);
}

/* Is any value NaN/Inf or out of range? (Used only when the header alone does not fit.) */
static int any_out_of_range(const void *in, int is_f64, size_t n, float eb)
{
    int32_t qx[BLOCK + 1];
    int bad = 0;
    for (size_t start = 0; start < n && !bad; start += BLOCK) {
        size_t count = n - start < BLOCK ? n - start : BLOCK;
        bad = is_f64 ? quantize_f64((const double *)in + start, count, 0.5 / (double)eb, qx)
                     : quantize_f32((const float *)in + start, count, 0.5f / eb, qx);
    }
    return bad;
}

static int compress_any(const void *in, int is_f64, size_t n, float eb, uint8_t *out,
                        size_t out_capacity, size_t *out_bytes)
{
    if (in == NULL || out == NULL || out_bytes == NULL || n == 0 || !(eb > 0.0f) || isinf(eb))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK;
    const size_t header = header_bytes(n);
    if (out_capacity < header)
        return any_out_of_range(in, is_f64, n, eb) ? SZ_ERR_RANGE : SZ_ERR_CAPACITY;
    memset(out + nblocks, 0, header - nblocks);

    /* Pass 1: each chunk of blocks is encoded into its own slot of a scratch buffer (chunk 0
     * straight into the output, where its payloads start, when they surely fit). */
    const size_t nchunks = (nblocks + CHUNK - 1) / CHUNK;
    const size_t slot = CHUNK * MAX_PAYLOAD; /* room for a chunk's payloads at worst */
    const int direct = out_capacity - header >= (nblocks < CHUNK ? nblocks : CHUNK) * MAX_PAYLOAD;
    size_t *sizes = malloc(nchunks * sizeof(size_t));
    uint8_t *scratch = nchunks > 1 || !direct ? malloc(nblocks * MAX_PAYLOAD) : NULL;
    if (sizes == NULL || (scratch == NULL && (nchunks > 1 || !direct))) {
        free(sizes);
        free(scratch);
        return SZ_ERR_DEVICE;
    }
    const int nthreads = thread_count(nchunks);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t c = 0; c < nchunks; c++) {
        const size_t b0 = c * CHUNK, b1 = b0 + CHUNK < nblocks ? b0 + CHUNK : nblocks;
        uint8_t *dst = c == 0 && direct ? out + header : scratch + c * slot;
        sizes[c] = is_f64 ? compress_range_f64(in, n, eb, b0, b1, out, dst)
                          : compress_range_f32(in, n, eb, b0, b1, out, dst);
    }

    /* Exclusive scan of the chunk sizes: where each chunk's payloads go. */
    size_t total = header;
    int bad = 0;
    for (size_t c = 0; c < nchunks; c++) {
        bad |= sizes[c] == (size_t)-1;
        const size_t size = sizes[c];
        sizes[c] = total; /* now the chunk's offset in the stream */
        total += size;
    }
    const int status = bad ? SZ_ERR_RANGE : total > out_capacity ? SZ_ERR_CAPACITY : SZ_OK;

    /* Pass 2: copy the payloads into place. */
    if (status == SZ_OK) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
        for (size_t c = direct ? 1 : 0; c < nchunks; c++) {
            const size_t end = c + 1 < nchunks ? sizes[c + 1] : total;
            memcpy(out + sizes[c], scratch + c * slot, end - sizes[c]);
        }
        *out_bytes = total;
    }
    free(sizes);
    free(scratch);
    return status;
}

/* ---- Decompression -------------------------------------------------------------------------- */

/* Payload size a valid rate byte implies (plain: R <= 32; outlier build: also bit 7 set). */
INLINE size_t payload_size(uint8_t rate_byte)
{
    if (SZP_OUTLIER && (rate_byte & 0x80))
        return 4 + 4 * (size_t)(rate_byte & 0x1f) + (size_t)((rate_byte >> 5) & 3) + 1;
    return rate_byte ? 4 + 4 * (size_t)rate_byte : 0;
}

/* Decode one non-empty payload into the 32 quantized values q[]. */
INLINE void decode_block(uint8_t rate_byte, const uint8_t *src, int32_t q[BLOCK])
{
    uint32_t mag[BLOCK] = {0};
    int rate = rate_byte;
    if (rate_byte & 0x80) {
        int nb = ((rate_byte >> 5) & 3) + 1;
        uint32_t first = 0;
        for (int k = 0; k < nb; k++)
            first |= (uint32_t)src[k] << (8 * k);
        mag[0] = first;
        src += nb;
        rate = rate_byte & 0x1f;
    }
    const uint32_t signs = load_be32(src);
    src += 4;
    for (int p = 0; p < rate; p++) {
        const uint32_t word = load_be32(src + 4 * p);
        for (int i = 0; i < BLOCK; i++)
            mag[i] |= ((word >> (31 - i)) & 1u) << p;
    }
    uint32_t d[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
        uint32_t neg = (signs >> (31 - i)) & 1u;
        d[i] = (mag[i] ^ (0u - neg)) + neg;
    }
    uint32_t sum = 0; /* undo the in-block prediction; unsigned wraps on corrupt input */
    for (int i = 0; i < BLOCK; i++) {
        sum += d[i];
        q[i] = (int32_t)sum;
    }
}

INLINE void decompress_range(const uint8_t *in, const uint8_t *src, int is_f64, size_t n,
                             float eb, size_t b0, size_t b1, void *out)
{
    int32_t q[BLOCK];
    for (size_t b = b0; b < b1; b++) {
        const size_t start = b * BLOCK, count = n - start < BLOCK ? n - start : BLOCK;
        const uint8_t rate_byte = in[b];
        if (rate_byte == 0) {
            if (is_f64)
                memset((double *)out + start, 0, count * sizeof(double));
            else
                memset((float *)out + start, 0, count * sizeof(float));
            continue;
        }
        decode_block(rate_byte, src, q);
        src += payload_size(rate_byte);
        if (is_f64) {
            double *dst = (double *)out + start;
            const double e = (double)eb;
            if (count == BLOCK) {
                for (int i = 0; i < BLOCK; i++)
                    dst[i] = ((double)q[i] * e) * 2.0;
            } else {
                for (size_t i = 0; i < count; i++)
                    dst[i] = ((double)q[i] * e) * 2.0;
            }
        } else {
            float *dst = (float *)out + start;
            if (count == BLOCK) {
                for (int i = 0; i < BLOCK; i++)
                    dst[i] = ((float)q[i] * eb) * 2.0f;
            } else {
                for (size_t i = 0; i < count; i++)
                    dst[i] = ((float)q[i] * eb) * 2.0f;
            }
        }
    }
}

static void decompress_range_f32(const uint8_t *in, const uint8_t *src, size_t n, float eb,
                                 size_t b0, size_t b1, float *out)
{
    decompress_range(in, src, 0, n, eb, b0, b1, out);
}

static void decompress_range_f64(const uint8_t *in, const uint8_t *src, size_t n, float eb,
                                 size_t b0, size_t b1, double *out)
{
    decompress_range(in, src, 1, n, eb, b0, b1, out);
}

/* Sum of the payload sizes of blocks [b0, b1); (size_t)-1 if a rate byte is invalid. */
static size_t sum_payloads(const uint8_t *rates, size_t b0, size_t b1)
{
    size_t total = 0;
    int invalid = 0;
    for (size_t b = b0; b < b1; b++) {
        invalid |= rates[b] > 32 && !(SZP_OUTLIER && (rates[b] & 0x80));
        total += payload_size(rates[b]);
    }
    return invalid ? (size_t)-1 : total;
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
    for (size_t b = nblocks; b < header; b++) /* the header padding must be zero */
        if (in[b] != 0)
            return SZ_ERR_FORMAT;
    const size_t nchunks = (nblocks + CHUNK - 1) / CHUNK;
    size_t *offsets = malloc(nchunks * sizeof(size_t));
    if (offsets == NULL)
        return SZ_ERR_DEVICE;
    const int nthreads = thread_count(nchunks);

    /* The payload bytes of each chunk, from its rate bytes; their scan gives each chunk's start,
     * and the total must be the stream size before any payload is read. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t c = 0; c < nchunks; c++)
        offsets[c] = sum_payloads(in, c * CHUNK, c * CHUNK + CHUNK < nblocks ? c * CHUNK + CHUNK
                                                                             : nblocks);
    size_t total = header;
    int invalid = 0;
    for (size_t c = 0; c < nchunks; c++) {
        invalid |= offsets[c] == (size_t)-1;
        const size_t size = offsets[c];
        offsets[c] = total;
        total += size;
    }
    if (invalid || total != in_bytes) {
        free(offsets);
        return SZ_ERR_FORMAT;
    }

#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t c = 0; c < nchunks; c++) {
        const size_t b0 = c * CHUNK, b1 = b0 + CHUNK < nblocks ? b0 + CHUNK : nblocks;
        if (is_f64)
            decompress_range_f64(in, in + offsets[c], n, eb, b0, b1, out);
        else
            decompress_range_f32(in, in + offsets[c], n, eb, b0, b1, out);
    }
    free(offsets);
    return SZ_OK;
}

/* ---- ABI ------------------------------------------------------------------------------------ */

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
