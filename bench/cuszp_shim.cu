/* C entry points for bench/cuszp_compare.py around cuSZp's 1D float32 code (plain and outlier).
 *
 * cuSZp is not part of this repository: this file includes its two 1D f32 source files from the
 * folder given at build time, so one translation unit holds cuSZp's kernels, its entry functions
 * and these wrappers:
 *   nvcc -O3 -arch=sm_90 -std=c++17 -shared -Xcompiler -fPIC \
 *        -I <cuSZp>/include/cuSZp -I <cuSZp>/src bench/cuszp_shim.cu -o libcuszp_shim.so
 *
 * Two ways to call cuSZp, both with caller-owned input and output buffers:
 *  - kernel: the __global__ kernel launched with the grid, block and dynamic shared memory its
 *    entry function uses, its three scan arrays preallocated by the caller (one scratch buffer of
 *    cuszp_scratch_bytes(n)) and cleared on the stream before each launch; compression then reads
 *    the stream size back on the same stream (as sz_compress does), so the size is always right.
 *  - entry: cuSZp's own entry function (cudaMalloc/cudaMemset/cudaFree per call; compression
 *    reads the size with a legacy-stream cudaMemcpy).
 * Every function returns a cudaError_t value (0 = success). mode: 1 plain, 2 outlier.
 */
#include "cuSZp_kernels_1D_f32.cu"
#include "cuSZp_entry_1D_f32.cu"

#include <stdint.h>

namespace {

constexpr size_t kWarpValues = (size_t)tblock_size * thread_chunk;  // values per cuSZp warp

size_t warp_count(size_t n) { return (n + kWarpValues - 1) / kWarpValues; }

size_t header_bytes(size_t n) { return warp_count(n) * kWarpValues / 32; }

/* The launch of either kernel: its entry function's grid, block and dynamic shared memory, and
 * the three scan arrays (cmpOffset, locOffset, flag; gsize + 1 entries each) in the caller's
 * scratch buffer, cleared on the stream. */
struct Launch {
    dim3 grid, block;
    size_t shared;
    cudaStream_t stream;
    unsigned int *cmp_offset, *loc_offset;
    int *flag;
    size_t entries;
};

cudaError_t prepare(void *scratch, size_t n, void *stream_ptr, Launch *l)
{
    l->entries = warp_count(n) + 1;
    l->grid = dim3((unsigned)warp_count(n));
    l->block = dim3(tblock_size);
    l->shared = sizeof(unsigned int) * 2;
    l->stream = static_cast<cudaStream_t>(stream_ptr);
    l->cmp_offset = static_cast<unsigned int *>(scratch);
    l->loc_offset = l->cmp_offset + l->entries;
    l->flag = reinterpret_cast<int *>(l->loc_offset + l->entries);
    return cudaMemsetAsync(scratch, 0, 3 * l->entries * sizeof(unsigned int), l->stream);
}

unsigned int *g_size_host = nullptr;  // pinned, for the size read-back of the kernel path

}  // namespace

extern "C" {

size_t cuszp_scratch_bytes(size_t n) { return 3 * (warp_count(n) + 1) * sizeof(unsigned int); }

int cuszp_kernel_compress(int mode, const float *in, uint8_t *out, size_t n, float eb,
                          void *scratch, size_t *out_bytes, void *stream_ptr)
{
    if (!g_size_host && cudaMallocHost(reinterpret_cast<void **>(&g_size_host), sizeof(unsigned int)))
        return cudaErrorMemoryAllocation;
    Launch l;
    cudaError_t err = prepare(scratch, n, stream_ptr, &l);
    if (err)
        return err;
    auto kernel = mode == 2 ? cuSZp_compress_kernel_1D_outlier_f32 : cuSZp_compress_kernel_1D_plain_f32;
    kernel<<<l.grid, l.block, l.shared, l.stream>>>(in, out, l.cmp_offset, l.loc_offset, l.flag, eb, n);
    err = cudaGetLastError();
    if (!err)
        err = cudaMemcpyAsync(g_size_host, l.cmp_offset + l.entries - 1, sizeof(unsigned int),
                              cudaMemcpyDeviceToHost, l.stream);
    if (!err)
        err = cudaStreamSynchronize(l.stream);
    if (!err)
        *out_bytes = (size_t)*g_size_host + header_bytes(n);
    return err;
}

int cuszp_kernel_decompress(int mode, const uint8_t *in, float *out, size_t n, float eb,
                            void *scratch, void *stream_ptr)
{
    Launch l;
    cudaError_t err = prepare(scratch, n, stream_ptr, &l);
    if (err)
        return err;
    auto kernel = mode == 2 ? cuSZp_decompress_kernel_1D_outlier_f32 : cuSZp_decompress_kernel_1D_plain_f32;
    kernel<<<l.grid, l.block, l.shared, l.stream>>>(out, in, l.cmp_offset, l.loc_offset, l.flag, eb, n);
    return cudaGetLastError();
}

int cuszp_entry_compress(int mode, float *in, uint8_t *out, size_t n, float eb, size_t *out_bytes,
                         void *stream_ptr)
{
    auto entry = mode == 2 ? cuSZp_compress_1D_outlier_f32 : cuSZp_compress_1D_plain_f32;
    entry(in, out, n, out_bytes, eb, static_cast<cudaStream_t>(stream_ptr));
    return cudaGetLastError();
}

int cuszp_entry_decompress(int mode, uint8_t *in, size_t in_bytes, float *out, size_t n, float eb,
                           void *stream_ptr)
{
    auto entry = mode == 2 ? cuSZp_decompress_1D_outlier_f32 : cuSZp_decompress_1D_plain_f32;
    entry(out, in, n, in_bytes, eb, static_cast<cudaStream_t>(stream_ptr));
    return cudaGetLastError();
}

}  // extern "C"
