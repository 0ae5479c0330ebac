/* SZx, fast C/OpenMP reference: the SZx random-access stream (block size 128), f32.
 *
 * Same ABI and the same bytes as serial.c (which documents the format at length) and as the
 * original SZx 1.1.1 (`szx -m 3` / `-m 4`).
 *     gcc -O3 -march=native -fopenmp -shared -fPIC -I kernels/abi kernels/szx/reference.c
 *
 * Stream: 1,1,1,1 | block size (8 B, BE) | constant-block count (8 B, BE) | record sizes
 * (uint16 LE, one per non-constant block) | state bitmap (MSB first, 1 = non-constant) |
 * constant medians (float BE) | records [L][median BE][2-bit lead codes][mid-bytes], all in
 * block order.
 * Blocks holding a NaN or an Inf are stored losslessly (L = 32, median 0). With a +0 median the
 * bits of x are used as d and the decoder adds nothing, so NaN payloads and -0.0 stay exact.
 *
 * Parallel scheme. The blocks are cut into chunks of 256 (32768 values; whole bitmap bytes, so no
 * two chunks share one) that threads take one at a time (dynamic schedule: a thread slowed by
 * another process does not hold up the rest). Compression: each chunk is classified and encoded,
 * its records into its own slot of a scratch buffer, medians and sizes into per-block arrays;
 * exclusive scans of the chunks' record counts and bytes give the section offsets; then each
 * chunk writes its sizes, bitmap bytes and medians and copies its records into place.
 * Decompression: each chunk counts its non-constant blocks (popcount of its bitmap bytes), then
 * sums its record sizes; the totals are checked against the header and the stream size before
 * any record is read, then the chunks are decoded.
 *
 * Status codes: SZ_ERR_ARGUMENT (NULL, n == 0, eb <= 0 or not finite), SZ_ERR_CAPACITY,
 * SZ_ERR_FORMAT (truncated, too long, or inconsistent stream), SZ_ERR_DEVICE (out of memory).
 */
#include "sz_abi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Keep every float operation rounded on its own, as the original computes it. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#define BLOCK 128
#define HEADER 20
#define MAX_RECORD (1 + 4 + BLOCK / 4 + 4 * BLOCK)
#define CHUNK 256 /* blocks per unit of parallel work (32768 values; a multiple of 8) */

#define INLINE static inline __attribute__((always_inline))

INLINE uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

INLINE float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
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

INLINE uint32_t load_le32(const uint8_t *src)
{
    uint32_t w;
    memcpy(&w, src, 4);
    return w;
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

/* Threads for nchunks chunks of work: no more than chunks. */
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

/* A float's bits as a signed integer that orders like the float (finite values; -0 < +0). */
INLINE int32_t order_key(uint32_t u)
{
    return (int32_t)(u ^ ((uint32_t)((int32_t)u >> 31) & 0x7fffffffu));
}

/* Median and radius of m values; returns 0 if one is NaN or Inf. Min and max are found on
 * integer keys, which the compiler vectorizes (a float min/max select it does not). Against the
 * original's float compares only -0.0 vs +0.0 may differ, which changes no radius or median. */
INLINE int block_stats(const float *x, size_t m, float *median, float *radius)
{
    uint32_t top = 0; /* largest |bits|: >= 0x7f800000 means Inf or NaN */
    int32_t kmin = INT32_MAX, kmax = INT32_MIN;
    for (size_t i = 0; i < m; i++) {
        const uint32_t u = float_bits(x[i]);
        top = (u & 0x7fffffffu) > top ? (u & 0x7fffffffu) : top;
        const int32_t k = order_key(u);
        kmin = k < kmin ? k : kmin;
        kmax = k > kmax ? k : kmax;
    }
    if (top >= 0x7f800000u)
        return 0;
    /* order_key is its own inverse */
    const float min = bits_float((uint32_t)order_key((uint32_t)kmin));
    const float max = bits_float((uint32_t)order_key((uint32_t)kmax));
    *radius = (max - min) / 2;
    *median = min + *radius;
    return 1;
}

/* Encode the record of a non-constant block into rec (which has 3 bytes of slack); return size. */
INLINE size_t encode_record(const float *x, size_t m, int finite, float median, float radius,
                            int eb_exponent, uint8_t *rec)
{
    int length = 32;
    if (finite) {
        length = 10 + (int)((float_bits(radius) >> 23) & 0xff) - 127 - eb_exponent;
        if (length < 9)
            length = 9;
        if (length > 32) {
            length = 32;
            median = 0.0f;
        }
    } else {
        median = 0.0f;
    }
    const int nbytes = (length + 7) / 8, shift = 8 * nbytes - length;
    const size_t ncodes = (m + 3) / 4;
    rec[0] = (uint8_t)length;
    store_be32(rec + 1, float_bits(median));
    uint8_t *codes = rec + 5;

    uint32_t v[BLOCK];
    uint8_t lead[BLOCK + 3];
    if (float_bits(median) == 0) { /* d is x itself: x - 0 would quiet a signalling NaN */
        for (size_t i = 0; i < m; i++)
            v[i] = float_bits(x[i]) >> shift;
    } else {
        for (size_t i = 0; i < m; i++)
            v[i] = float_bits(x[i] - median) >> shift;
    }
    for (size_t i = 0; i < m; i++) {
        uint32_t diff = v[i] ^ (i ? v[i - 1] : 0u);
        lead[i] = (uint8_t)((diff < 0x1000000u) + (diff < 0x10000u) + (diff < 0x100u));
    }
    lead[m] = lead[m + 1] = lead[m + 2] = 0;
    for (size_t j = 0; j < ncodes; j++)
        codes[j] = (uint8_t)(lead[4 * j] << 6 | lead[4 * j + 1] << 4 | lead[4 * j + 2] << 2 |
                             lead[4 * j + 3]);

    /* Mid-bytes: v's bytes 4-B .. 3-min(lead,B). Store 4 bytes, advance by the count kept. */
    uint8_t *mid = codes + ncodes;
    const int low = 8 * (4 - nbytes);
    for (size_t i = 0; i < m; i++) {
        int l = lead[i] < nbytes ? lead[i] : nbytes;
        uint32_t w = v[i] >> low;
        memcpy(mid, &w, 4);
        mid += nbytes - l;
    }
    return (size_t)(mid - rec);
}

typedef struct {
    size_t nblocks, n;
    float eb;
    int eb_exponent;
    uint8_t *state;  /* per block: 1 = non-constant */
    float *median;   /* per block: the median of a constant block */
    uint16_t *size;  /* per block: the record size of a non-constant block */
} plan_t;

/* Encode blocks [b0, b1) into dst; fill the plan's per-block arrays; return the bytes written. */
static size_t compress_range(const float *in, const plan_t *plan, size_t b0, size_t b1,
                             uint8_t *dst, size_t *nrecords)
{
    size_t pos = 0, records = 0;
    for (size_t b = b0; b < b1; b++) {
        const float *x = in + b * BLOCK;
        const size_t m = plan->n - b * BLOCK < BLOCK ? plan->n - b * BLOCK : BLOCK;
        float median = 0.0f, radius = 0.0f;
        int finite = m == BLOCK ? block_stats(x, BLOCK, &median, &radius)
                                : block_stats(x, m, &median, &radius);
        if (finite && radius <= plan->eb) {
            plan->state[b] = 0;
            plan->median[b] = median;
            continue;
        }
        size_t size = m == BLOCK
            ? encode_record(x, BLOCK, finite, median, radius, plan->eb_exponent, dst + pos)
            : encode_record(x, m, finite, median, radius, plan->eb_exponent, dst + pos);
        plan->state[b] = 1;
        plan->size[b] = (uint16_t)size;
        pos += size;
        records++;
    }
    *nrecords = records;
    return pos;
}

/* Write the record sizes, bitmap bytes and constant medians of blocks [b0, b1), whose first
 * record is number record and first constant block number constant. */
static void place_metadata(const plan_t *plan, size_t b0, size_t b1, size_t record,
                           size_t constant, size_t bitmap_at, size_t medians_at, uint8_t *out)
{
    for (size_t g = b0; g < b1; g += 8) {
        uint8_t bits = 0;
        for (size_t b = g; b < g + 8 && b < b1; b++) {
            bits |= (uint8_t)(plan->state[b] << (7 - (b - g)));
            if (plan->state[b]) {
                out[HEADER + 2 * record] = (uint8_t)plan->size[b];
                out[HEADER + 2 * record + 1] = (uint8_t)(plan->size[b] >> 8);
                record++;
            } else {
                store_be32(out + medians_at + 4 * constant++, float_bits(plan->median[b]));
            }
        }
        out[bitmap_at + g / 8] = bits;
    }
}

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream)
{
    (void)stream;
    if (in == NULL || out == NULL || out_bytes == NULL || n == 0 || !(eb > 0.0f) || isinf(eb))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK;
    const size_t nchunks = (nblocks + CHUNK - 1) / CHUNK;
    const size_t slot = CHUNK * MAX_RECORD + 4; /* a chunk's records at worst, and 3 bytes slack */
    double ebd = (double)eb; /* the original takes E(eb) of eb promoted to double */
    uint64_t ebits;
    memcpy(&ebits, &ebd, 8);
    plan_t plan = {nblocks, n, eb, (int)((ebits >> 52) & 0x7ff) - 1023,
                   malloc(nblocks), malloc(nblocks * sizeof(float)),
                   malloc(nblocks * sizeof(uint16_t))};
    size_t *records = malloc(nchunks * sizeof(size_t)); /* per chunk: records, then first record */
    size_t *bytes = malloc(nchunks * sizeof(size_t));   /* per chunk: bytes, then offset */
    uint8_t *scratch = malloc(nchunks * slot);
    int status = SZ_OK;
    if (plan.state == NULL || plan.median == NULL || plan.size == NULL || records == NULL ||
        bytes == NULL || scratch == NULL) {
        status = SZ_ERR_DEVICE;
        goto done;
    }
    const int nthreads = thread_count(nchunks);

    /* Pass 1: classify and encode each chunk of blocks, records into the chunk's scratch slot. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t c = 0; c < nchunks; c++) {
        const size_t b0 = c * CHUNK, b1 = b0 + CHUNK < nblocks ? b0 + CHUNK : nblocks;
        bytes[c] = compress_range(in, &plan, b0, b1, scratch + c * slot, &records[c]);
    }

    /* Exclusive scans: each chunk's first record and its records' offset; then the layout. */
    size_t nrecords = 0, nbytes = 0;
    for (size_t c = 0; c < nchunks; c++) {
        const size_t r = records[c], k = bytes[c];
        records[c] = nrecords;
        bytes[c] = nbytes;
        nrecords += r;
        nbytes += k;
    }
    const size_t nconstant = nblocks - nrecords;
    const size_t bitmap_at = HEADER + 2 * nrecords;
    const size_t medians_at = bitmap_at + (nblocks + 7) / 8;
    const size_t records_at = medians_at + 4 * nconstant;
    const size_t total = records_at + nbytes;
    if (total > out_capacity) {
        status = SZ_ERR_CAPACITY;
        goto done;
    }

    /* Pass 2: each chunk's sizes, bitmap bytes, medians and records go into place. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t c = 0; c < nchunks; c++) {
        const size_t b0 = c * CHUNK, b1 = b0 + CHUNK < nblocks ? b0 + CHUNK : nblocks;
        const size_t end = c + 1 < nchunks ? bytes[c + 1] : nbytes;
        place_metadata(&plan, b0, b1, records[c], b0 - records[c], bitmap_at, medians_at, out);
        memcpy(out + records_at + bytes[c], scratch + c * slot, end - bytes[c]);
    }
    static const uint8_t magic[4] = {1, 1, 1, 1};
    memcpy(out, magic, 4);
    put_be64(out + 4, BLOCK);
    put_be64(out + 12, nconstant);
    *out_bytes = total;

done:
    free(plan.state);
    free(plan.median);
    free(plan.size);
    free(records);
    free(bytes);
    free(scratch);
    return status;
}

/* ---- Decompression -------------------------------------------------------------------------- */

/* Decode one record of m values; return 0, or -1 if its contents do not match its size.
 * fast: at least 3 readable bytes follow the record, so 4-byte loads may overrun it.
 * The byte bookkeeping (counts, offsets, masks) is done in flat loops first, so the only serial
 * chain left is "keep the top bytes of the previous value, or in the stored ones". */
INLINE int decode_record(const uint8_t *rec, size_t size, size_t m, int fast, float *out)
{
    const size_t ncodes = (m + 3) / 4;
    if (size < 5 + ncodes || rec[0] < 9 || rec[0] > 32)
        return -1;
    const int length = rec[0];
    const float median = bits_float(load_be32(rec + 1));
    const uint32_t nbytes = (uint32_t)(length + 7) / 8;
    const int shift = 8 * (int)nbytes - length, low = 8 * (4 - (int)nbytes);
    const uint8_t *codes = rec + 5;

    uint8_t lead[BLOCK + 3];
    for (size_t j = 0; j < ncodes; j++) { /* four 2-bit codes -> four bytes, first value first */
        uint32_t c = codes[j];
        uint32_t four = (c >> 6) | ((c >> 4) & 3) << 8 | ((c >> 2) & 3) << 16 | (c & 3) << 24;
        memcpy(lead + 4 * j, &four, 4);
    }
    /* Per value: the top bytes shared with the previous value (a mask; lead <= 3, so the shift
     * stays below 32), the count of bytes stored, and where they start among the mid-bytes. */
    uint32_t top[BLOCK], count[BLOCK], offset[BLOCK];
    uint32_t stored = 0; /* mid-bytes the codes imply */
    for (size_t i = 0; i < m; i++) {
        uint32_t keep = lead[i] < nbytes ? lead[i] : nbytes;
        top[i] = ~(0xffffffffu >> (8 * keep));
        count[i] = nbytes - keep;
        stored += count[i];
    }
    if (stored != size - 5 - ncodes)
        return -1;
    uint32_t sum = 0;
    for (size_t i = 0; i < m; i++) {
        offset[i] = sum;
        sum += count[i];
    }

    /* v = the previous value's top bytes, then the stored bytes (w's low bytes moved up to byte
     * 4-B; what lands in the shared top bytes is masked off), zeros below byte 4-B. */
    const uint8_t *mid = codes + ncodes;
    uint32_t v[BLOCK], prev = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t w;
        if (fast) {
            w = load_le32(mid + offset[i]);
        } else {
            w = 0;
            for (uint32_t j = 0; j < count[i]; j++)
                w |= (uint32_t)mid[offset[i] + j] << (8 * j);
        }
        prev = (prev & top[i]) | ((w << low) & ~top[i]);
        v[i] = prev;
    }
    if (float_bits(median) == 0) { /* not added: -0.0 and NaN payloads stay exact */
        for (size_t i = 0; i < m; i++)
            out[i] = bits_float(v[i] << shift);
    } else {
        for (size_t i = 0; i < m; i++)
            out[i] = bits_float(v[i] << shift) + median;
    }
    return 0;
}

typedef struct {
    const uint8_t *in;
    size_t in_bytes, n, nblocks, bitmap_at, medians_at, records_at;
} layout_t;

INLINE int block_state(const layout_t *s, size_t b)
{
    return (s->in[s->bitmap_at + b / 8] >> (7 - b % 8)) & 1;
}

/* Decode blocks [b0, b1), whose first record is number record0 at byte pos of the stream. */
static int decompress_range(const layout_t *s, size_t b0, size_t b1, size_t record, size_t pos,
                            float *out)
{
    size_t constant = b0 - record;
    for (size_t b = b0; b < b1; b++) {
        const size_t m = s->n - b * BLOCK < BLOCK ? s->n - b * BLOCK : BLOCK;
        float *dst = out + b * BLOCK;
        if (!block_state(s, b)) {
            const float median = bits_float(load_be32(s->in + s->medians_at + 4 * constant++));
            for (size_t i = 0; i < m; i++)
                dst[i] = median;
            continue;
        }
        const uint8_t *sz = s->in + HEADER + 2 * record++;
        const size_t size = (size_t)sz[0] | (size_t)sz[1] << 8;
        const int fast = pos + size + 3 <= s->in_bytes;
        int rc = m == BLOCK ? (fast ? decode_record(s->in + pos, size, BLOCK, 1, dst)
                                    : decode_record(s->in + pos, size, BLOCK, 0, dst))
                            : decode_record(s->in + pos, size, m, 0, dst);
        if (rc != 0)
            return -1;
        pos += size;
    }
    return 0;
}

/* Non-constant blocks among [b0, b1); (size_t)-1 if a padding bit past the last block is set. */
static size_t popcount_range(const layout_t *s, size_t b0, size_t b1)
{
    size_t count = 0;
    for (size_t b = b0; b < b1; b += 8) {
        uint8_t byte = s->in[s->bitmap_at + b / 8];
        if (b1 - b < 8 && (byte & (0xffu >> (b1 - b))) != 0)
            return (size_t)-1;
        count += (size_t)__builtin_popcount(byte);
    }
    return count;
}

/* Sum of the sizes of records [r0, r1). */
static size_t sum_sizes(const uint8_t *in, size_t r0, size_t r1)
{
    size_t total = 0;
    for (size_t r = r0; r < r1; r++)
        total += (size_t)in[HEADER + 2 * r] | (size_t)in[HEADER + 2 * r + 1] << 8;
    return total;
}

int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    (void)stream;
    if (in == NULL || out == NULL || n == 0 || !(eb > 0.0f) || isinf(eb))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK;
    if (in_bytes < HEADER || in[0] != 1 || in[1] != 1 || in[2] != 1 || in[3] != 1 ||
        get_be64(in + 4) != BLOCK)
        return SZ_ERR_FORMAT;
    const uint64_t nconstant = get_be64(in + 12);
    if (nconstant > nblocks)
        return SZ_ERR_FORMAT;
    const size_t nrecords = nblocks - (size_t)nconstant;
    layout_t s = {in, in_bytes, n, nblocks, HEADER + 2 * nrecords, 0, 0};
    s.medians_at = s.bitmap_at + (nblocks + 7) / 8;
    s.records_at = s.medians_at + 4 * (size_t)nconstant;
    if (in_bytes < s.records_at)
        return SZ_ERR_FORMAT;

    const size_t nchunks = (nblocks + CHUNK - 1) / CHUNK;
    size_t *records = malloc(nchunks * sizeof(size_t)); /* per chunk: records, then first record */
    size_t *bytes = malloc(nchunks * sizeof(size_t));   /* per chunk: bytes, then offset */
    if (records == NULL || bytes == NULL) {
        free(records);
        free(bytes);
        return SZ_ERR_DEVICE;
    }
    const int nthreads = thread_count(nchunks);
    int corrupt = 0;

    /* Count each chunk's records from the bitmap, and check the count against the header. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t c = 0; c < nchunks; c++)
        records[c] = popcount_range(&s, c * CHUNK, c * CHUNK + CHUNK < nblocks ? c * CHUNK + CHUNK
                                                                               : nblocks);
    size_t sum = 0;
    for (size_t c = 0; c < nchunks; c++) {
        corrupt |= records[c] == (size_t)-1;
        const size_t r = records[c];
        records[c] = sum;
        sum += r;
    }
    if (corrupt || sum != nrecords) {
        corrupt = 1;
        goto done;
    }

    /* Sum each chunk's record sizes; the total must be the stream size. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t c = 0; c < nchunks; c++)
        bytes[c] = sum_sizes(in, records[c], c + 1 < nchunks ? records[c + 1] : nrecords);
    sum = s.records_at;
    for (size_t c = 0; c < nchunks; c++) {
        const size_t k = bytes[c];
        bytes[c] = sum;
        sum += k;
    }
    if (sum != in_bytes) {
        corrupt = 1;
        goto done;
    }

    /* Decode the chunks. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) reduction(| : corrupt)
    for (size_t c = 0; c < nchunks; c++) {
        const size_t b0 = c * CHUNK, b1 = b0 + CHUNK < nblocks ? b0 + CHUNK : nblocks;
        corrupt |= decompress_range(&s, b0, b1, records[c], bytes[c], out) != 0;
    }

done:
    free(records);
    free(bytes);
    return corrupt ? SZ_ERR_FORMAT : SZ_OK;
}
