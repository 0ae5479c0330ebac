// Never writes every 1000th output element.
#include "raw_common.cuh"
__global__ void copy_most(const float *src, float *dst, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        if (i % 1000 != 7) dst[i] = src[i];
}
extern "C" int sz_compress(const float *in, size_t n, float, uint8_t *out, size_t cap, size_t *ob, void *s) {
    return raw_compress(in, n, out, cap, ob, (cudaStream_t)s); }
extern "C" int sz_decompress(const uint8_t *in, size_t, size_t n, float, float *out, void *s) {
    copy_most<<<256, 256, 0, (cudaStream_t)s>>>((const float *)in, out, n); return SZ_OK; }
