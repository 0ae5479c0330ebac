// A deliberately slow copy (one block), so that where it runs (which stream) shows in the timings.
// WHERE selects the stream: the ABI stream (honest), a private stream, or the legacy default stream.
#include "raw_common.cuh"
#define ABI 0
#define PRIVATE 1
#define LEGACY 2
__global__ void slow_copy(const float *src, float *dst, size_t n) {
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = src[i];
}
static cudaStream_t pick(void *abi) {
    static cudaStream_t own;
    if (WHERE == ABI) return (cudaStream_t)abi;
    if (WHERE == LEGACY) return (cudaStream_t)0;
    if (!own) cudaStreamCreateWithFlags(&own, cudaStreamNonBlocking);
    return own;
}
extern "C" int sz_compress(const float *in, size_t n, float, uint8_t *out, size_t cap, size_t *ob, void *s) {
    if (n * sizeof(float) > cap) return SZ_ERR_CAPACITY;
    slow_copy<<<1, 256, 0, pick(s)>>>(in, (float *)out, n);
    *ob = n * sizeof(float);
    return cudaGetLastError() == cudaSuccess ? SZ_OK : SZ_ERR_DEVICE; }
extern "C" int sz_decompress(const uint8_t *in, size_t, size_t n, float, float *out, void *s) {
    slow_copy<<<1, 256, 0, pick(s)>>>((const float *)in, out, n);
    return cudaGetLastError() == cudaSuccess ? SZ_OK : SZ_ERR_DEVICE; }
