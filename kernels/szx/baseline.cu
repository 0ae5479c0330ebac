/* SZx, CUDA baseline: a deliberately simple, correct GPU port, the starting point of "optimize" tasks.
 *
 * Build:  nvcc -O3 -arch=sm_90 -shared -Xcompiler -fPIC -I kernels/abi kernels/szx/baseline.cu
 * Writes the SZx random-access stream (block size 128), the same bytes as reference.cu and as
 * SZx 1.1.1 `-m 3`; the format is described at the top of reference.cu.
 *
 * How it works (and why it is slow):
 *   compress    1. one thread per 128-value block: min, max, state, median, L and record size
 *               2. all of that goes to the host, which counts, ranks and prefix-sums the blocks,
 *                  builds the header, record-size array, bitmap and medians, and copies them back
 *               3. one thread per non-constant block writes its record byte by byte
 *   decompress  the header, size array, bitmap and medians go to the host for the offsets; then
 *               one thread per block decodes its 128 values one after the other.
 * Every call allocates, frees and synchronizes; every thread walks its 128 values alone.
 */
#include "sz_abi.h"

#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <vector>

#define BS 128
#define HEADER 20

struct BlockInfo {
    uint8_t nonconstant;
    uint8_t L;
    float median;
    uint32_t size;  /* record bytes (non-constant blocks) */
};

/* State, median and L of one block, as SZx computes them. A NaN or Inf makes it lossless. */
__device__ BlockInfo classify(const float *x, int count, float eb, int eb_exp)
{
    BlockInfo info;
    float lo = x[0], hi = x[0];
    int nonfinite = 0;
    for (int i = 0; i < count; i++) {
        nonfinite |= !isfinite(x[i]);
        lo = fminf(lo, x[i]);
        hi = fmaxf(hi, x[i]);
    }
    info.nonconstant = 1;
    info.L = 32;
    info.median = 0.0f;
    info.size = 0;
    if (nonfinite)
        return info;
    float radius = __fmul_rn(__fsub_rn(hi, lo), 0.5f);
    info.median = __fadd_rn(lo, radius);
    if (radius <= eb) {
        info.nonconstant = 0;
        return info;
    }
    int L = 10 + (int)((__float_as_uint(radius) >> 23) & 0xff) - 127 - eb_exp;
    if (L < 9)
        L = 9;
    if (L > 32) {
        L = 32;
        info.median = 0.0f;
    }
    info.L = (uint8_t)L;
    return info;
}

/* v = bits(x - median) >> s, or bits(x) for a lossless block (keeps NaN payloads). */
__device__ uint32_t stream_value(float x, const BlockInfo &info, int s)
{
    if (info.L == 32 && info.median == 0.0f)
        return __float_as_uint(x);
    return __float_as_uint(__fsub_rn(x, info.median)) >> s;
}

__device__ int lead_of(uint32_t v, uint32_t prev)
{
    return min(__clz(v ^ prev) / 8, 3);  /* identical leading bytes, at most 3 */
}

/* Write (or, with out == NULL, only measure) the record of a non-constant block. */
__device__ uint32_t write_record(const float *x, int count, const BlockInfo &info, uint8_t *out)
{
    int B = (info.L + 7) / 8, s = 8 * B - info.L;
    int ncodes = (count + 3) / 4;
    uint32_t pos = 5 + ncodes, prev = 0;
    if (out) {
        uint32_t m = __float_as_uint(info.median);
        out[0] = info.L;
        for (int k = 0; k < 4; k++)
            out[1 + k] = (uint8_t)(m >> (24 - 8 * k));  /* big-endian */
        for (int k = 0; k < ncodes; k++)
            out[5 + k] = 0;
    }
    for (int i = 0; i < count; i++) {
        uint32_t v = stream_value(x[i], info, s);
        int lead = lead_of(v, prev);
        prev = v;
        if (out)
            out[5 + i / 4] |= (uint8_t)(lead << (6 - 2 * (i % 4)));
        for (int byte = 4 - B; byte <= 3 - lead; byte++) {
            if (out)
                out[pos] = (uint8_t)(v >> (8 * byte));
            pos++;
        }
    }
    return pos;
}

__global__ void analyze_kernel(const float *in, size_t n, float eb, int eb_exp, BlockInfo *info)
{
    size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= (n + BS - 1) / BS)
        return;
    const float *x = in + b * BS;
    int count = n - b * BS < BS ? (int)(n - b * BS) : BS;
    BlockInfo bi = classify(x, count, eb, eb_exp);
    if (bi.nonconstant)
        bi.size = write_record(x, count, bi, NULL);
    info[b] = bi;
}

__global__ void record_kernel(const float *in, size_t n, const BlockInfo *info,
                              const uint64_t *offsets, uint8_t *out)
{
    size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= (n + BS - 1) / BS || !info[b].nonconstant)
        return;
    int count = n - b * BS < BS ? (int)(n - b * BS) : BS;
    write_record(in + b * BS, count, info[b], out + offsets[b]);
}

/* Decode one block: offsets[b] is its record's position, or ~0 with medians[b] for a constant one. */
__global__ void decode_kernel(const uint8_t *in, size_t n, const uint64_t *offsets,
                              const float *medians, float *out)
{
    size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= (n + BS - 1) / BS)
        return;
    int count = n - b * BS < BS ? (int)(n - b * BS) : BS;
    float *y = out + b * BS;
    if (offsets[b] == ~0ull) {
        for (int i = 0; i < count; i++)
            y[i] = medians[b];
        return;
    }
    const uint8_t *rec = in + offsets[b];
    int L = rec[0];
    float median = __uint_as_float((uint32_t)rec[1] << 24 | (uint32_t)rec[2] << 16 |
                                   (uint32_t)rec[3] << 8 | rec[4]);
    int B = (L + 7) / 8, s = 8 * B - L;
    bool lossless = L == 32 && median == 0.0f;
    const uint8_t *mid = rec + 5 + (count + 3) / 4;
    uint32_t v = 0;
    for (int i = 0; i < count; i++) {
        int lead = (rec[5 + i / 4] >> (6 - 2 * (i % 4))) & 3;
        /* The top `lead` bytes stay those of the previous value; the rest come from the stream. */
        uint32_t keep = lead ? ~(0xffffffffu >> (8 * lead)) : 0u;
        v &= keep;
        for (int byte = 4 - B; byte <= 3 - lead; byte++)
            v |= (uint32_t)(*mid++) << (8 * byte);
        y[i] = lossless ? __uint_as_float(v) : __fadd_rn(__uint_as_float(v << s), median);
    }
}

/* ---- Host ------------------------------------------------------------------------------------ */

static int exponent_of(float eb)
{
    double d = eb;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return (int)((bits >> 52) & 0x7ff) - 1023;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static bool bad_args(const void *in, size_t n, float eb, const void *out)
{
    return in == NULL || out == NULL || n == 0 || !(eb > 0.0f) || isinf(eb);
}

extern "C" {

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream_ptr)
{
    if (bad_args(in, n, eb, out) || out_bytes == NULL)
        return SZ_ERR_ARGUMENT;
    cudaStream_t stream = (cudaStream_t)stream_ptr;
    const size_t nblocks = (n + BS - 1) / BS;
    const unsigned threads = 128, grid = (unsigned)((nblocks + threads - 1) / threads);
    BlockInfo *d_info = NULL;
    uint64_t *d_offsets = NULL;
    if (cudaMalloc(&d_info, nblocks * sizeof(BlockInfo)) != cudaSuccess ||
        cudaMalloc(&d_offsets, nblocks * sizeof(uint64_t)) != cudaSuccess) {
        cudaFree(d_info);
        return SZ_ERR_DEVICE;
    }
    analyze_kernel<<<grid, threads, 0, stream>>>(in, n, eb, exponent_of(eb), d_info);
    std::vector<BlockInfo> info(nblocks);
    cudaMemcpyAsync(info.data(), d_info, nblocks * sizeof(BlockInfo), cudaMemcpyDeviceToHost, stream);
    int status = SZ_OK;
    if (cudaStreamSynchronize(stream) != cudaSuccess) {
        status = SZ_ERR_DEVICE;
    } else {
        /* The host lays the stream out: header, sizes, bitmap, medians, then the records. */
        size_t nonconstant = 0, record_bytes = 0;
        for (size_t b = 0; b < nblocks; b++)
            if (info[b].nonconstant) {
                nonconstant++;
                record_bytes += info[b].size;
            }
        const size_t constant = nblocks - nonconstant;
        const size_t bitmap = HEADER + 2 * nonconstant, medians = bitmap + (nblocks + 7) / 8;
        const size_t records = medians + 4 * constant, total = records + record_bytes;
        if (total > out_capacity) {
            status = SZ_ERR_CAPACITY;
        } else {
            std::vector<uint8_t> head(records, 0);
            std::vector<uint64_t> offsets(nblocks, 0);
            head[0] = head[1] = head[2] = head[3] = 1;
            put_be64(&head[4], BS);
            put_be64(&head[12], constant);
            size_t rank = 0, crank = 0, pos = records;
            for (size_t b = 0; b < nblocks; b++) {
                if (info[b].nonconstant) {
                    head[HEADER + 2 * rank] = (uint8_t)info[b].size;
                    head[HEADER + 2 * rank + 1] = (uint8_t)(info[b].size >> 8);
                    head[bitmap + b / 8] |= (uint8_t)(0x80 >> (b % 8));
                    offsets[b] = pos;
                    pos += info[b].size;
                    rank++;
                } else {
                    uint32_t m;
                    memcpy(&m, &info[b].median, 4);
                    for (int k = 0; k < 4; k++)
                        head[medians + 4 * crank + k] = (uint8_t)(m >> (24 - 8 * k));
                    crank++;
                }
            }
            cudaMemcpyAsync(out, head.data(), records, cudaMemcpyHostToDevice, stream);
            cudaMemcpyAsync(d_offsets, offsets.data(), nblocks * sizeof(uint64_t),
                            cudaMemcpyHostToDevice, stream);
            record_kernel<<<grid, threads, 0, stream>>>(in, n, d_info, d_offsets, out);
            if (cudaStreamSynchronize(stream) != cudaSuccess || cudaGetLastError() != cudaSuccess)
                status = SZ_ERR_DEVICE;
            else
                *out_bytes = total;
        }
    }
    cudaFree(d_info);
    cudaFree(d_offsets);
    return status;
}

int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out,
                  void *stream_ptr)
{
    if (bad_args(in, n, eb, out))
        return SZ_ERR_ARGUMENT;
    cudaStream_t stream = (cudaStream_t)stream_ptr;
    const size_t nblocks = (n + BS - 1) / BS;
    if (in_bytes < HEADER)
        return SZ_ERR_FORMAT;
    uint8_t header[HEADER];
    cudaMemcpyAsync(header, in, HEADER, cudaMemcpyDeviceToHost, stream);
    if (cudaStreamSynchronize(stream) != cudaSuccess)
        return SZ_ERR_DEVICE;
    uint64_t bs = 0, constant = 0;
    for (int i = 0; i < 8; i++) {
        bs = bs << 8 | header[4 + i];
        constant = constant << 8 | header[12 + i];
    }
    if (bs != BS || constant > nblocks)
        return SZ_ERR_FORMAT;
    const size_t nonconstant = nblocks - constant;
    const size_t bitmap = HEADER + 2 * nonconstant, medians = bitmap + (nblocks + 7) / 8;
    const size_t records = medians + 4 * constant;
    if (in_bytes < records)
        return SZ_ERR_FORMAT;
    std::vector<uint8_t> head(records);
    cudaMemcpyAsync(head.data(), in, records, cudaMemcpyDeviceToHost, stream);
    if (cudaStreamSynchronize(stream) != cudaSuccess)
        return SZ_ERR_DEVICE;
    std::vector<uint64_t> offsets(nblocks);
    std::vector<float> meds(nblocks, 0.0f);
    size_t rank = 0, crank = 0, pos = records;
    for (size_t b = 0; b < nblocks; b++) {
        if (head[bitmap + b / 8] & (0x80 >> (b % 8))) {
            if (rank >= nonconstant)
                return SZ_ERR_FORMAT;
            offsets[b] = pos;
            pos += head[HEADER + 2 * rank] | (size_t)head[HEADER + 2 * rank + 1] << 8;
            rank++;
        } else {
            if (crank >= constant)
                return SZ_ERR_FORMAT;
            const uint8_t *p = &head[medians + 4 * crank];
            uint32_t m = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            memcpy(&meds[b], &m, 4);
            offsets[b] = ~0ull;
            crank++;
        }
    }
    if (pos != in_bytes)
        return SZ_ERR_FORMAT;
    uint64_t *d_offsets = NULL;
    float *d_medians = NULL;
    if (cudaMalloc(&d_offsets, nblocks * 8) != cudaSuccess || cudaMalloc(&d_medians, nblocks * 4) != cudaSuccess) {
        cudaFree(d_offsets);
        return SZ_ERR_DEVICE;
    }
    cudaMemcpyAsync(d_offsets, offsets.data(), nblocks * 8, cudaMemcpyHostToDevice, stream);
    cudaMemcpyAsync(d_medians, meds.data(), nblocks * 4, cudaMemcpyHostToDevice, stream);
    const unsigned threads = 128, grid = (unsigned)((nblocks + threads - 1) / threads);
    decode_kernel<<<grid, threads, 0, stream>>>(in, n, d_offsets, d_medians, out);
    int status = SZ_OK;
    if (cudaStreamSynchronize(stream) != cudaSuccess || cudaGetLastError() != cudaSuccess)
        status = SZ_ERR_DEVICE;
    cudaFree(d_offsets);
    cudaFree(d_medians);
    return status;
}

}  /* extern "C" */
