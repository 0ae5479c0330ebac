// A decompression kernel that never terminates.
#include "raw_common.cuh"
__global__ void spin(volatile int *flag) { while (*flag != 0) { } }  // nothing ever zeroes it
extern "C" int sz_compress(const float *in, size_t n, float, uint8_t *out, size_t cap, size_t *ob, void *s) {
    return raw_compress(in, n, out, cap, ob, (cudaStream_t)s); }
extern "C" int sz_decompress(const uint8_t *in, size_t, size_t n, float, float *out, void *s) {
    spin<<<1, 1, 0, (cudaStream_t)s>>>((volatile int *)out);  // out holds poison NaN bits (non-zero)
    return raw_decompress(in, n, out, (cudaStream_t)s); }
