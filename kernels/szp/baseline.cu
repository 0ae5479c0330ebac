/* SZp, CUDA baseline: a deliberately simple, correct GPU port, the starting point of "optimize" tasks.
 *
 * Build:  nvcc -O3 -arch=sm_90 -shared -Xcompiler -fPIC -I kernels/abi kernels/szp/baseline.cu
 * Plain mode by default, outlier mode with -DSZP_OUTLIER=1. Same bytes as reference.cu and cuSZp;
 * the format, the quantizer and the input contract are described in serial.c beside this file.
 *
 * How it works (and why it is slow):
 *   compress    1. one thread per 32-value block quantizes it and picks its rate byte and size
 *               2. the sizes go to the host, which prefix-sums them into payload offsets
 *               3. the offsets come back, and one thread per block writes its payload byte by byte
 *   decompress  the rate bytes go to the host for the offsets; then one thread per block decodes.
 * Every call allocates and frees its scratch, synchronizes several times, and every thread reads
 * 32 consecutive values on its own (uncoalesced). reference.cu does the same work in one pass.
 */
#include "sz_abi.h"

#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <vector>

#ifndef SZP_OUTLIER
#define SZP_OUTLIER 0
#endif

#define BLOCK 32
#define MAX_PAYLOAD (4 + 4 + 4 * 32)

/* cuSZp's quantizer: r = 0.5/eb, t = x*r, q = trunc(t + 0.5) - (t < -0.5), in the data's precision.
 * Sets *bad for NaN, Inf and |t| >= 2^20 (f32) / 2^30 (f64). */
__device__ int quantize(float x, float eb, int *bad)
{
    float t = __fmul_rn(x, __fdiv_rn(0.5f, eb));
    if (!(fabsf(t) < 1048576.0f))
        *bad = 1;
    return __float2int_rz(__fadd_rn(t, 0.5f)) - (t < -0.5f);
}

__device__ int quantize(double x, float eb, int *bad)
{
    double t = __dmul_rn(x, __ddiv_rn(0.5, (double)eb));
    if (!(fabs(t) < 1073741824.0))
        *bad = 1;
    return __double2int_rz(__dadd_rn(t, 0.5)) - (t < -0.5);
}

__device__ float rebuild(int q, float eb, float *) { return __fmul_rn(__fmul_rn((float)q, eb), 2.0f); }
__device__ double rebuild(int q, float eb, double *) { return __dmul_rn(__dmul_rn((double)q, (double)eb), 2.0); }

__device__ int bit_length(uint32_t v) { return v ? 32 - __clz(v) : 0; }

/* Quantize block b and turn it into deltas: mag[i] = |d_i|, signs bit (31 - i) = (d_i < 0). */
template <typename T>
__device__ void block_deltas(const T *in, size_t n, size_t b, float eb, uint32_t mag[BLOCK],
                             uint32_t *signs, int *bad)
{
    int prev = 0;
    *signs = 0;
    for (int i = 0; i < BLOCK; i++) {
        size_t idx = b * BLOCK + i;
        int d = 0;  /* the missing values of a short last block have d = 0 */
        if (idx < n) {
            int q = quantize(in[idx], eb, bad);
            d = (int)((uint32_t)q - (uint32_t)prev);
            prev = q;
        }
        mag[i] = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
        if (d < 0)
            *signs |= 1u << (31 - i);
    }
}

/* Rate byte and payload size of a block, from its deltas. */
__device__ void choose_encoding(const uint32_t mag[BLOCK], uint8_t *rate_byte, uint32_t *size)
{
    uint32_t max_all = 0, max_rest = 0;
    for (int i = 0; i < BLOCK; i++) {
        max_all = max(max_all, mag[i]);
        if (i > 0)
            max_rest = max(max_rest, mag[i]);
    }
    int rate = bit_length(max_all);
    *rate_byte = (uint8_t)rate;
    *size = rate ? 4 + 4 * rate : 0;
    if (SZP_OUTLIER) {
        int rate2 = bit_length(max_rest);
        int nb = (bit_length(mag[0]) + 7) / 8;
        uint32_t outlier_size = 4 + 4 * rate2 + nb;
        if (outlier_size < *size) {
            *rate_byte = (uint8_t)(0x80 | (nb - 1) << 5 | rate2);
            *size = outlier_size;
        }
    }
}

__device__ void put_be32(uint8_t *dst, uint32_t w)
{
    dst[0] = (uint8_t)(w >> 24);
    dst[1] = (uint8_t)(w >> 16);
    dst[2] = (uint8_t)(w >> 8);
    dst[3] = (uint8_t)w;
}

template <typename T>
__global__ void rate_kernel(const T *in, size_t n, float eb, uint8_t *rates, uint32_t *sizes,
                            int *bad)
{
    size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= (n + BLOCK - 1) / BLOCK)
        return;
    uint32_t mag[BLOCK], signs;
    int my_bad = 0;
    block_deltas(in, n, b, eb, mag, &signs, &my_bad);
    choose_encoding(mag, &rates[b], &sizes[b]);
    for (int i = 0; i < BLOCK; i++)
        if (mag[i] >> 31)
            my_bad = 1;  /* |d| = 2^31 (f64 only): a rate of 32 does not fit the outlier field */
    if (my_bad)
        *bad = 1;
}

template <typename T>
__global__ void encode_kernel(const T *in, size_t n, float eb, const uint8_t *rates,
                              const uint64_t *offsets, uint8_t *out)
{
    size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= (n + BLOCK - 1) / BLOCK)
        return;
    uint32_t mag[BLOCK], signs;
    int unused = 0;
    block_deltas(in, n, b, eb, mag, &signs, &unused);
    uint8_t rate_byte = rates[b];
    uint8_t *dst = out + offsets[b];
    int rate = rate_byte;
    if (rate_byte & 0x80) {  /* outlier block: |q_0| first, then the sign word and R2 planes */
        int nb = ((rate_byte >> 5) & 3) + 1;
        for (int k = 0; k < nb; k++)
            *dst++ = (uint8_t)(mag[0] >> (8 * k));
        mag[0] = 0;
        rate = rate_byte & 0x1f;
    } else if (rate == 0) {
        return;
    }
    put_be32(dst, signs);
    dst += 4;
    for (int p = 0; p < rate; p++) {
        uint32_t word = 0;
        for (int i = 0; i < BLOCK; i++)
            word |= ((mag[i] >> p) & 1u) << (31 - i);
        put_be32(dst, word);
        dst += 4;
    }
}

template <typename T>
__global__ void decode_kernel(const uint8_t *in, size_t n, float eb, const uint64_t *offsets, T *out)
{
    size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= (n + BLOCK - 1) / BLOCK)
        return;
    uint8_t rate_byte = in[b];
    const uint8_t *src = in + offsets[b];
    uint32_t mag[BLOCK] = {0};
    uint32_t signs = 0;
    int rate = rate_byte;
    if (rate_byte & 0x80) {
        int nb = ((rate_byte >> 5) & 3) + 1;
        for (int k = 0; k < nb; k++)
            mag[0] |= (uint32_t)src[k] << (8 * k);
        src += nb;
        rate = rate_byte & 0x1f;
    }
    if (rate_byte != 0) {
        signs = (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 | (uint32_t)src[2] << 8 | src[3];
        src += 4;
    }
    for (int p = 0; p < rate; p++) {
        uint32_t word = (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 | (uint32_t)src[2] << 8 | src[3];
        src += 4;
        for (int i = 0; i < BLOCK; i++)
            mag[i] |= ((word >> (31 - i)) & 1u) << p;
    }
    uint32_t q = 0;
    for (int i = 0; i < BLOCK; i++) {
        q += (signs >> (31 - i)) & 1u ? 0u - mag[i] : mag[i];
        size_t idx = b * BLOCK + i;
        if (idx < n)
            out[idx] = rebuild((int)q, eb, (T *)nullptr);  /* rate-0 blocks are written as zeros */
    }
}

/* ---- Host ------------------------------------------------------------------------------------ */

static size_t header_bytes(size_t n) { return (n + 32767) / 32768 * 1024; }

static size_t payload_size(uint8_t rate_byte)
{
    if (rate_byte & 0x80)
        return 4 + 4 * (size_t)(rate_byte & 0x1f) + ((rate_byte >> 5) & 3) + 1;
    if (rate_byte > 32)
        return (size_t)-1;
    return rate_byte ? 4 + 4 * (size_t)rate_byte : 0;
}

static bool bad_args(const void *in, size_t n, float eb, const void *out)
{
    return in == NULL || out == NULL || n == 0 || !(eb > 0.0f) || isinf(eb);
}

template <typename T>
static int compress(const T *in, size_t n, float eb, uint8_t *out, size_t capacity,
                    size_t *out_bytes, cudaStream_t stream)
{
    if (bad_args(in, n, eb, out) || out_bytes == NULL)
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK, header = header_bytes(n);
    const unsigned threads = 256, grid = (unsigned)((nblocks + threads - 1) / threads);
    uint8_t *d_rates = NULL;
    uint32_t *d_sizes = NULL;
    uint64_t *d_offsets = NULL;
    int *d_bad = NULL;
    int status = SZ_OK, bad = 0;
    std::vector<uint32_t> sizes(nblocks);
    std::vector<uint64_t> offsets(nblocks);
    size_t pos = header;

    if (cudaMalloc(&d_rates, nblocks) != cudaSuccess || cudaMalloc(&d_sizes, 4 * nblocks) != cudaSuccess ||
        cudaMalloc(&d_offsets, 8 * nblocks) != cudaSuccess || cudaMalloc(&d_bad, sizeof(int)) != cudaSuccess) {
        status = SZ_ERR_DEVICE;
        goto done;
    }
    cudaMemsetAsync(d_bad, 0, sizeof(int), stream);
    rate_kernel<<<grid, threads, 0, stream>>>(in, n, eb, d_rates, d_sizes, d_bad);
    cudaMemcpyAsync(sizes.data(), d_sizes, 4 * nblocks, cudaMemcpyDeviceToHost, stream);
    cudaMemcpyAsync(&bad, d_bad, sizeof(int), cudaMemcpyDeviceToHost, stream);
    if (cudaStreamSynchronize(stream) != cudaSuccess) {
        status = SZ_ERR_DEVICE;
        goto done;
    }
    if (bad) {
        status = SZ_ERR_RANGE;
        goto done;
    }
    for (size_t b = 0; b < nblocks; b++) {  /* the prefix sum, on the CPU */
        offsets[b] = pos;
        pos += sizes[b];
    }
    if (pos > capacity) {
        status = SZ_ERR_CAPACITY;
        goto done;
    }
    cudaMemcpyAsync(d_offsets, offsets.data(), 8 * nblocks, cudaMemcpyHostToDevice, stream);
    cudaMemsetAsync(out, 0, header, stream);
    cudaMemcpyAsync(out, d_rates, nblocks, cudaMemcpyDeviceToDevice, stream);
    encode_kernel<<<grid, threads, 0, stream>>>(in, n, eb, d_rates, d_offsets, out);
    if (cudaStreamSynchronize(stream) != cudaSuccess || cudaGetLastError() != cudaSuccess) {
        status = SZ_ERR_DEVICE;
        goto done;
    }
    *out_bytes = pos;
done:
    cudaFree(d_rates);
    cudaFree(d_sizes);
    cudaFree(d_offsets);
    cudaFree(d_bad);
    return status;
}

template <typename T>
static int decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, T *out,
                      cudaStream_t stream)
{
    if (bad_args(in, n, eb, out))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + BLOCK - 1) / BLOCK, header = header_bytes(n);
    if (in_bytes < header)
        return SZ_ERR_FORMAT;
    const unsigned threads = 256, grid = (unsigned)((nblocks + threads - 1) / threads);
    std::vector<uint8_t> rates(nblocks);
    std::vector<uint64_t> offsets(nblocks);
    uint64_t *d_offsets = NULL;
    int status = SZ_OK;
    size_t pos = header;

    cudaMemcpyAsync(rates.data(), in, nblocks, cudaMemcpyDeviceToHost, stream);
    if (cudaStreamSynchronize(stream) != cudaSuccess)
        return SZ_ERR_DEVICE;
    for (size_t b = 0; b < nblocks; b++) {
        size_t size = payload_size(rates[b]);
        if (size == (size_t)-1)
            return SZ_ERR_FORMAT;
        offsets[b] = pos;
        pos += size;
    }
    if (pos != in_bytes)
        return SZ_ERR_FORMAT;
    if (cudaMalloc(&d_offsets, 8 * nblocks) != cudaSuccess)
        return SZ_ERR_DEVICE;
    cudaMemcpyAsync(d_offsets, offsets.data(), 8 * nblocks, cudaMemcpyHostToDevice, stream);
    decode_kernel<<<grid, threads, 0, stream>>>(in, n, eb, d_offsets, out);
    if (cudaStreamSynchronize(stream) != cudaSuccess || cudaGetLastError() != cudaSuccess)
        status = SZ_ERR_DEVICE;
    cudaFree(d_offsets);
    return status;
}

extern "C" {

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream)
{
    return compress(in, n, eb, out, out_capacity, out_bytes, (cudaStream_t)stream);
}

int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    return decompress(in, in_bytes, n, eb, out, (cudaStream_t)stream);
}

int sz_compress_f64(const double *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                    size_t *out_bytes, void *stream)
{
    return compress(in, n, eb, out, out_capacity, out_bytes, (cudaStream_t)stream);
}

int sz_decompress_f64(const uint8_t *in, size_t in_bytes, size_t n, float eb, double *out,
                      void *stream)
{
    return decompress(in, in_bytes, n, eb, out, (cudaStream_t)stream);
}

}  /* extern "C" */
