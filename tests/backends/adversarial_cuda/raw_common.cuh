// Shared helpers of the CUDA adversarial kernels: an honest lossless "raw" format, which each
// cheat then breaks in one specific way. Pointers are device pointers; work goes on `stream`.
#include <cuda_runtime.h>
#include "sz_abi.h"

static int raw_compress(const float *in, size_t n, uint8_t *out, size_t cap, size_t *out_bytes,
                        cudaStream_t stream) {
    if (n * sizeof(float) > cap) return SZ_ERR_CAPACITY;
    cudaMemcpyAsync(out, in, n * sizeof(float), cudaMemcpyDeviceToDevice, stream);
    *out_bytes = n * sizeof(float);
    return cudaGetLastError() == cudaSuccess ? SZ_OK : SZ_ERR_DEVICE;
}

static int raw_decompress(const uint8_t *in, size_t n, float *out, cudaStream_t stream) {
    cudaMemcpyAsync(out, in, n * sizeof(float), cudaMemcpyDeviceToDevice, stream);
    return cudaGetLastError() == cudaSuccess ? SZ_OK : SZ_ERR_DEVICE;
}
