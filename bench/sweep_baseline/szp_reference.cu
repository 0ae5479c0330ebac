/* FROZEN COPY of kernels/szp/reference.cu as it was before issue 24 (main, c20b40a): the baseline that
 * bench/cuda_sweep.py builds as "base" for its same-run ratios and byte checks. Not a reference;
 * never edited. Delete it once the sweep's winner is adopted and measured. */
/* SZp, CUDA reference: the cuSZp 1D stream (v2/v3 layout), single pass, byte-identical to cuSZp.
 *
 * Build:  nvcc -O3 -arch=sm_90 -shared -Xcompiler -fPIC -I kernels/abi kernels/szp/reference.cu
 * Plain mode by default, outlier mode with -DSZP_OUTLIER=1 (the decoder reads both block kinds).
 * The stream format, the quantizer and the input contract are those of serial.c beside this file.
 *
 * ---- Design -----------------------------------------------------------------------------------
 * One kernel compresses, one decompresses. A CTA of 8 warps owns a tile of 128 blocks (4096
 * values); a warp owns 16 consecutive 32-value blocks, and a lane owns one value of each block.
 *
 * Compression (one pass over the input):
 *  A. Every warp loads its 16 values per lane (16 coalesced 128-byte loads in flight), then per
 *     block: quantizes, takes the in-block delta through one shuffle, gets the rate with one
 *     __reduce_max_sync (rates, sizes and in-warp offsets are warp-uniform: no in-warp scan), and
 *     encodes the block at once into the warp's own shared staging region. A block's bit-planes
 *     come from a 32x32 bit transpose across the warp (5 shuffle/rotate/logic stages, the sign in
 *     bit 31 of each row): afterwards lane p holds plane p and lane 31 the sign word, so the
 *     payload is one 32-bit store per lane. (One __ballot_sync per plane gives the same words but
 *     costs ~5 instructions per plane against ~15 for the whole transpose; blocks here have 5-12
 *     planes and the kernel is instruction-bound.) NaN/Inf/too-large values raise a tile flag.
 *  B. The tile's payload size (sum of its 8 warps) is published at once, and warp 0 walks back
 *     over the predecessors (decoupled look-back, 32 tiles per step) to the tile's offset.
 *  C. The CTA writes its 128 rate bytes and every warp copies its staged payload out with
 *     16-byte aligned stores (funnel shifts realign odd offsets).
 * Tile numbers come from an atomic ticket, so every predecessor of a tile has started: the
 * look-back cannot deadlock. Look-back flags carry a per-call epoch instead of being cleared, and
 * the scratch (flags, ticket, result) is allocated once per device and stream and then reused:
 * a call launches one kernel and copies 32 bytes back (the compressed size, the error flags).
 *
 * Decompression mirrors it: the rate bytes of a tile give its payload size, the same look-back
 * gives its offset, the CTA stages the tile's payload with 16-byte loads, and each warp decodes a
 * block with the inverse transpose and a 5-step shuffle prefix sum, writing every output value
 * (rate-0 blocks too). No host round trip.
 */
#include "sz_abi.h"

#include <cuda_runtime.h>
#include <math.h>
#include <mutex>
#include <stdint.h>
#include <string.h>

#ifndef SZP_OUTLIER
#define SZP_OUTLIER 0
#endif

namespace {

constexpr int kWarps = 8;                          // warps per CTA
constexpr int kThreads = kWarps * 32;              // threads per CTA
#ifndef SZP_BLOCKS_PER_WARP
#define SZP_BLOCKS_PER_WARP 16
#endif
#ifndef SZP_MIN_CTAS
#define SZP_MIN_CTAS 6  // CTAs per SM the f32 compressor is built for (40 registers, no spills)
#endif
constexpr int kBlocksPerWarp = SZP_BLOCKS_PER_WARP;  // 32-value blocks per warp and tile
constexpr int kTileBlocks = kWarps * kBlocksPerWarp;  // 128 blocks = 4096 values per tile
constexpr uint32_t kFull = 0xffffffffu;
constexpr size_t kGroupValues = 32768;             // values per 1024 rate bytes (cuSZp's warp)
constexpr int kMaxBlockBytes = 4 + 4 + 4 * 32;     // largest payload of any block (corrupt input)
constexpr int kStageBytes = kTileBlocks * kMaxBlockBytes + 32;

// ---- Look-back flags: [status:2][epoch:22][value:40] -----------------------------------------
constexpr uint64_t kStatusAggregate = 1;  // value = the tile's own payload bytes
constexpr uint64_t kStatusInclusive = 2;  // value = payload bytes of tiles 0..t
constexpr uint32_t kEpochBits = 22;
constexpr uint64_t kValueMask = (1ull << 40) - 1;

struct DeviceResult {        // written by the kernels, read back by the host after compression
    uint64_t total_payload;  // payload bytes of the whole stream (last tile)
    uint32_t done_epoch;     // epoch of the call that wrote total_payload
    uint32_t range_epoch;    // epoch of the last call that saw NaN/Inf/too-large input
    uint32_t capacity_epoch; // epoch of the last call whose stream did not fit out_capacity
    uint32_t ticket;         // tile ticket counter (never reset: the host tracks its base)
    uint32_t pad[2];
};

__device__ __forceinline__ uint64_t load_flag(const uint64_t *p)
{
    uint64_t v;
    asm volatile("ld.relaxed.gpu.global.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ void store_flag(uint64_t *p, uint64_t status, uint32_t epoch,
                                           uint64_t value)
{
    uint64_t v = status << 62 | (uint64_t)epoch << 40 | (value & kValueMask);
    asm volatile("st.relaxed.gpu.global.u64 [%0], %1;" ::"l"(p), "l"(v) : "memory");
}

/* Publish a tile's own payload size (tile 0: its inclusive prefix). One thread. */
__device__ __forceinline__ void publish_aggregate(uint64_t *flags, uint32_t tile, uint64_t aggregate,
                                                  uint32_t epoch)
{
    store_flag(&flags[tile], tile == 0 ? kStatusInclusive : kStatusAggregate, epoch, aggregate);
}

/* One whole warp, after publish_aggregate: walk back over the predecessors (32 per step) to an
 * inclusive prefix, publish this tile's inclusive prefix, return the exclusive one (every lane). */
__device__ uint64_t look_back(uint64_t *flags, uint32_t tile, uint64_t aggregate, uint32_t epoch)
{
    const int lane = threadIdx.x & 31;
    if (tile == 0)
        return 0;
    uint64_t exclusive = 0;
    int64_t window = (int64_t)tile - 1;  // lane l looks at tile window - l
    while (true) {
        const int64_t idx = window - lane;
        uint64_t status = kStatusInclusive, value = 0;  // tiles before 0 act as a zero prefix
        bool ready = idx < 0;
        while (!__all_sync(kFull, ready)) {
            if (!ready) {
                uint64_t f = load_flag(&flags[idx]);
                if (((f >> 40) & ((1u << kEpochBits) - 1)) == epoch && (f >> 62) != 0) {
                    ready = true;
                    status = f >> 62;
                    value = f & kValueMask;
                }
            }
        }
        const uint32_t inclusive_lanes = __ballot_sync(kFull, status == kStatusInclusive);
        const int stop = inclusive_lanes ? __ffs(inclusive_lanes) - 1 : 31;
        uint64_t part = lane <= stop ? value : 0;
        for (int o = 16; o > 0; o >>= 1)
            part += __shfl_xor_sync(kFull, part, o);
        exclusive += part;
        if (inclusive_lanes)
            break;
        window -= 32;
    }
    if (lane == 0)
        store_flag(&flags[tile], kStatusInclusive, epoch, exclusive + aggregate);
    return exclusive;
}

// ---- Quantization, exactly as cuSZp ----------------------------------------------------------
template <typename T>
struct Prec;

template <>
struct Prec<float> {
    static constexpr int kMinCtas = SZP_MIN_CTAS;
    static constexpr int kMaxRate = 22;  // |q| <= 2^20 so |d| <= 2^21
    __device__ static float recip(float eb) { return __fdiv_rn(0.5f, eb); }
    __device__ static int quantize(float x, float r, bool &bad)
    {
        const float t = __fmul_rn(x, r);
        bad |= !(fabsf(t) < 1048576.0f);  // 2^20, also NaN and Inf
        return __float2int_rz(__fadd_rn(t, 0.5f)) - (t < -0.5f ? 1 : 0);
    }
    __device__ static float rebuild(int q, float eb) { return __fmul_rn(__fmul_rn((float)q, eb), 2.0f); }
};

template <>
struct Prec<double> {
    static constexpr int kMinCtas = 4;   // 16 doubles per lane in flight: 64 registers
    static constexpr int kMaxRate = 31;  // |q| <= 2^30; a rate of 32 is rejected as a range error
    __device__ static double recip(float eb) { return __ddiv_rn(0.5, (double)eb); }
    __device__ static int quantize(double x, double r, bool &bad)
    {
        const double t = __dmul_rn(x, r);
        bad |= !(fabs(t) < 1073741824.0);  // 2^30
        return __double2int_rz(__dadd_rn(t, 0.5)) - (t < -0.5 ? 1 : 0);
    }
    __device__ static double rebuild(int q, float eb)
    {
        return __dmul_rn(__dmul_rn((double)q, (double)eb), 2.0);
    }
};

/* Bit-planes by a 32x32 bit-matrix transpose across the warp (5 shuffle-xor stages), which is
 * cheaper than one ballot per plane once a block has more than a few planes.
 * The stream stores plane p of a block as a big-endian word: value i at bit 7 - i%8 of byte i/8,
 * i.e. at bit i^7 of the little-endian word. The stages for j = 4, 2, 1 also apply that i -> i^7
 * to the columns, so no separate bit reversal is needed.
 * rows_to_planes: lane l holds row l (bit p = bit p of value l); on return lane p holds plane p
 * in stream layout. planes_to_rows is its inverse. */
__device__ __forceinline__ constexpr uint32_t stage_mask(int j)
{
    return j == 16 ? 0x0000ffffu : j == 8 ? 0x00ff00ffu : j == 4 ? 0x0f0f0f0fu : j == 2 ? 0x33333333u : 0x55555555u;
}

/* One stage J of the transpose. Kind 0: plain stage (lanes swap the off-diagonal J x J blocks).
 * Kind 1 (encode) and 2 (decode): the stage that also maps column bit J to its complement, and its
 * inverse. Each is a shuffle, a rotate (funnel shift) and one 3-input logic op; the per-lane rotate
 * amounts and masks do not depend on the data. */
template <int J, int kKind>
__device__ __forceinline__ uint32_t transpose_stage(uint32_t x, int lane)
{
    constexpr uint32_t m = stage_mask(J);
    const bool hi = lane & J;
    const uint32_t y = __shfl_xor_sync(kFull, x, J);
    if (kKind == 0) {  // lo: (x & m) | ((y << J) & ~m);  hi: (x & ~m) | ((y >> J) & m)
        const uint32_t keep = hi ? ~m : m;
        return (x & keep) | (__funnelshift_l(y, y, hi ? 32 - J : J) & ~keep);
    }
    // encode lo: ((x & m) << J) | (y & m);   hi: (y & ~m) | ((x & ~m) >> J)
    // decode lo: ((x & ~m) >> J) | (y & ~m); hi: (y & m) | ((x & m) << J)
    const bool down = (kKind == 1) == hi;
    const uint32_t keep = down ? m : ~m;
    return (__funnelshift_l(x, x, down ? 32 - J : J) & keep) | (y & ~keep);
}

__device__ __forceinline__ uint32_t rows_to_planes(uint32_t x)
{
    const int lane = threadIdx.x & 31;
    x = transpose_stage<16, 0>(x, lane);
    x = transpose_stage<8, 0>(x, lane);
    x = transpose_stage<4, 1>(x, lane);
    x = transpose_stage<2, 1>(x, lane);
    return transpose_stage<1, 1>(x, lane);
}

__device__ __forceinline__ uint32_t planes_to_rows(uint32_t x)
{
    const int lane = threadIdx.x & 31;
    x = transpose_stage<16, 0>(x, lane);
    x = transpose_stage<8, 0>(x, lane);
    x = transpose_stage<4, 2>(x, lane);
    x = transpose_stage<2, 2>(x, lane);
    return transpose_stage<1, 2>(x, lane);
}

__device__ __forceinline__ int bit_length(uint32_t v) { return 32 - __clz(v); }

/* Payload bytes that a rate byte implies (rates above 32 are corrupt and clamped to 32). */
__device__ __forceinline__ uint32_t payload_bytes(uint32_t rate_byte)
{
    if (rate_byte & 0x80)
        return 4 + 4 * (rate_byte & 0x1f) + ((rate_byte >> 5) & 3) + 1;
    const uint32_t r = rate_byte > 32 ? 32 : rate_byte;
    return r ? 4 + 4 * r : 0;
}

/* Read 4 bytes at any byte offset of a 4-aligned shared buffer. */
__device__ __forceinline__ uint32_t load_u32_unaligned(const uint8_t *base, uint32_t off)
{
    const uint32_t *w = reinterpret_cast<const uint32_t *>(base) + (off >> 2);
    return __funnelshift_r(w[0], w[1], 8 * (off & 3));
}

/* Copy size bytes from global src (any alignment; nothing at or past src_end is read) into shared
 * stage starting at byte (src & 15), with 16-byte aligned loads. */
__device__ void copy_in(uint8_t *stage, const uint8_t *src, uint32_t size, const uint8_t *src_end)
{
    const uint8_t *first = reinterpret_cast<const uint8_t *>((uintptr_t)src & ~(uintptr_t)15);
    const uint32_t shift = (uint32_t)(src - first);
    const uint32_t vecs = (shift + size + 15) / 16;
    for (uint32_t v = threadIdx.x; v < vecs; v += kThreads) {
        const uint8_t *p = first + 16 * v;
        if (p + 16 <= src_end) {
            *reinterpret_cast<uint4 *>(stage + 16 * v) = __ldcs(reinterpret_cast<const uint4 *>(p));
        } else {
            for (int k = 0; k < 16; k++)
                stage[16 * v + k] = p + k < src_end ? p[k] : 0;
        }
    }
}

// ---- Compression -------------------------------------------------------------------------------
/* Copy size bytes from shared stage to global dst (any alignment) with 16-byte aligned stores,
 * by one warp. */
__device__ void warp_copy_out(uint8_t *dst, const uint8_t *stage, uint32_t size)
{
    const int lane = threadIdx.x & 31;
    const uint32_t head = min(size, (uint32_t)((16 - ((uintptr_t)dst & 15)) & 15));
    const uint32_t vecs = (size - head) / 16;
    if (lane < head)
        dst[lane] = stage[lane];
    for (uint32_t v = lane; v < vecs; v += 32) {
        const uint32_t s = head + 16 * v;
        uint4 q;
        q.x = load_u32_unaligned(stage, s);
        q.y = load_u32_unaligned(stage, s + 4);
        q.z = load_u32_unaligned(stage, s + 8);
        q.w = load_u32_unaligned(stage, s + 12);
        *reinterpret_cast<uint4 *>(dst + s) = q;
    }
    const uint32_t tail = head + 16 * vecs;
    if (tail + lane < size)
        dst[tail + lane] = stage[tail + lane];
}

/* One warp quantizes and encodes its 16 blocks into its own staging region and returns its
 * payload bytes. All 16 loads are issued first so that they are in flight together. kCheck: the
 * tile is partial; values at and past limit are missing (their d is 0, as cuSZp pads a block). */
template <typename T, bool kOutlier, bool kCheck>
__device__ __forceinline__ uint32_t encode_blocks(const T *src, uint32_t mine, uint32_t limit,
                                                  decltype(Prec<T>::recip(1.0f)) r, uint8_t *rate_out,
                                                  uint8_t *stage, bool &bad)
{
    const int lane = threadIdx.x & 31;
    T x[kBlocksPerWarp];
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++)
        x[j] = !kCheck || mine + 32 * j < limit ? __ldcs(src + 32 * j) : T(0);
    uint32_t local = 0;  // warp-uniform offset in the staging region
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++) {
        const bool valid = !kCheck || mine + 32 * j < limit;
        const int q = valid ? Prec<T>::quantize(x[j], r, bad) : 0;
        int prev = __shfl_up_sync(kFull, q, 1);
        if (lane == 0)
            prev = 0;
        const int d = valid ? (int)((uint32_t)q - (uint32_t)prev) : 0;
        const uint32_t a = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
        uint32_t rate_byte, bytes;
        int rate, nb = 0;
        uint32_t a0 = 0;
        if (!kOutlier) {
            rate = bit_length(__reduce_max_sync(kFull, a));
            rate_byte = rate;
            bytes = rate ? 4 + 4 * rate : 0;
        } else {  // one reduction: the rate of all 32 is max(rate of 1..31, bits of |d_0|)
            a0 = __shfl_sync(kFull, a, 0);
            const int rate2 = bit_length(__reduce_max_sync(kFull, lane ? a : 0u));
            rate = max(rate2, bit_length(a0));
            rate_byte = rate;
            bytes = rate ? 4 + 4 * rate : 0;
            const int outlier_nb = (bit_length(a0) + 7) >> 3;
            const uint32_t outlier_bytes = 4 + 4 * rate2 + outlier_nb;
            if (outlier_bytes < bytes) {  // plain wins ties
                rate_byte = 0x80 | (outlier_nb - 1) << 5 | rate2;
                bytes = outlier_bytes;
                rate = rate2;
                nb = outlier_nb;
            }
        }
        if (lane == 0)
            rate_out[j] = (uint8_t)rate_byte;
        if (rate > Prec<T>::kMaxRate) {  // planes must leave bit 31 free for the sign
            bad = true;
            continue;
        }
        if (bytes == 0)
            continue;
        // Row = sign in bit 31, |d| below; element 0 of an outlier block is stored whole, so its
        // plane bits are 0. After the transpose lane p < rate holds plane p and lane 31 the sign
        // word: payload words 1 + p and 0.
        const uint32_t row = ((uint32_t)d & 0x80000000u) | (nb && lane == 0 ? 0u : a);
        const uint32_t word = rows_to_planes(row);
        const bool store = lane == 31 || lane < rate;
        const uint32_t slot = lane == 31 ? 0 : lane + 1;
        if (!kOutlier) {  // plain streams: every payload starts 4-aligned
            if (store)
                reinterpret_cast<uint32_t *>(stage + local)[slot] = word;
        } else {          // outlier payloads have odd sizes: byte stores
            uint8_t *dst = stage + local;
            if (lane < nb)
                dst[lane] = (uint8_t)(a0 >> (8 * lane));
            if (store) {
                uint8_t *w = dst + nb + 4 * slot;
                w[0] = (uint8_t)word;
                w[1] = (uint8_t)(word >> 8);
                w[2] = (uint8_t)(word >> 16);
                w[3] = (uint8_t)(word >> 24);
            }
        }
        local += bytes;
    }
    return local;
}

template <typename T, bool kOutlier>
__global__ void __launch_bounds__(kThreads, Prec<T>::kMinCtas)
    szp_compress_kernel(const T *__restrict__ in, size_t n, float eb, uint8_t *__restrict__ out,
                        size_t capacity, size_t header_bytes, DeviceResult *res,
                        uint64_t *flags, uint32_t ticket_base, uint32_t epoch, uint32_t ntiles)
{
    // Each warp stages its payload in its own region: a block's payload is at most 4 + 4 * rate.
    constexpr int kWarpStage = (kBlocksPerWarp * (4 + 4 * Prec<T>::kMaxRate) + 16 + 15) / 16 * 16;
    __shared__ uint32_t s_tile;
    __shared__ uint32_t s_warp_bytes[kWarps];
    __shared__ uint64_t s_base;
    __shared__ __align__(16) uint8_t s_rate[kTileBlocks];
    __shared__ __align__(16) uint8_t s_stage[kWarps * kWarpStage];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (threadIdx.x == 0)
        s_tile = atomicAdd(&res->ticket, 1u) - ticket_base;
    __syncthreads();
    const uint32_t tile = s_tile;
    const size_t tile_first = (size_t)tile * kTileBlocks * 32;  // first value of the tile
    const uint32_t limit = n - tile_first < (size_t)kTileBlocks * 32 ? (uint32_t)(n - tile_first)
                                                                      : kTileBlocks * 32;
    const uint32_t mine = warp * kBlocksPerWarp * 32 + lane;  // + 32 j: in-tile value index
    const T *src = in + tile_first + mine;
    const auto r = Prec<T>::recip(eb);
    uint8_t *stage = s_stage + warp * kWarpStage;

    // A: quantize, predict, rate, and encode into the warp's staging region (the bounds checks
    // only in the last, partial tile).
    bool bad = false;
    const uint32_t warp_bytes =
        limit == kTileBlocks * 32
            ? encode_blocks<T, kOutlier, false>(src, mine, limit, r, s_rate + warp * kBlocksPerWarp, stage, bad)
            : encode_blocks<T, kOutlier, true>(src, mine, limit, r, s_rate + warp * kBlocksPerWarp, stage, bad);
    if (lane == 0)
        s_warp_bytes[warp] = warp_bytes;
    const bool tile_bad = __syncthreads_or(bad);

    // B: the tile's size, its offset by a decoupled look-back (warp 0).
    uint32_t warp_offset = 0, tile_bytes = 0;
#pragma unroll
    for (int w = 0; w < kWarps; w++) {
        const uint32_t b = s_warp_bytes[w];
        warp_offset += w < warp ? b : 0;
        tile_bytes += b;
    }
    if (tile_bad) {
        tile_bytes = 0;
        if (threadIdx.x == 0)
            res->range_epoch = epoch;
    }
    if (warp == 0) {
        if (lane == 0)
            publish_aggregate(flags, tile, tile_bytes, epoch);
        const uint64_t base = look_back(flags, tile, tile_bytes, epoch);
        if (lane == 0) {
            s_base = base;
            if (tile == ntiles - 1) {
                res->total_payload = base + tile_bytes;
                res->done_epoch = epoch;
            }
        }
    }
    __syncthreads();

    // C: rate bytes, zero padding of the header after the last tile, payload.
    const size_t rate_pos = (size_t)tile * kTileBlocks;
    const bool out_aligned = ((uintptr_t)out & 15) == 0;
    if (out_aligned) {
        if (threadIdx.x < kTileBlocks / 16)
            reinterpret_cast<uint4 *>(out + rate_pos)[threadIdx.x] =
                reinterpret_cast<const uint4 *>(s_rate)[threadIdx.x];
    } else if (threadIdx.x < kTileBlocks) {
        out[rate_pos + threadIdx.x] = s_rate[threadIdx.x];
    }
    if (tile == ntiles - 1)
        for (size_t i = (size_t)ntiles * kTileBlocks + threadIdx.x; i < header_bytes; i += kThreads)
            out[i] = 0;
    const size_t base = header_bytes + s_base;
    if (tile_bad || base + tile_bytes > capacity) {
        if (!tile_bad && threadIdx.x == 0)
            res->capacity_epoch = epoch;
        return;
    }
    warp_copy_out(out + base + warp_offset, stage, warp_bytes);
}

// ---- Decompression -----------------------------------------------------------------------------
template <typename T>
__global__ void __launch_bounds__(kThreads, 6)
    szp_decompress_kernel(const uint8_t *__restrict__ in, size_t in_bytes, size_t n, float eb,
                          T *__restrict__ out, size_t header_bytes, DeviceResult *res,
                          uint64_t *flags, uint32_t ticket_base, uint32_t epoch)
{
    __shared__ uint32_t s_tile;
    __shared__ uint32_t s_warp_bytes[kWarps];
    __shared__ uint64_t s_base;
    __shared__ __align__(16) uint8_t s_stage[kStageBytes + 16];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (threadIdx.x == 0)
        s_tile = atomicAdd(&res->ticket, 1u) - ticket_base;
    __syncthreads();
    const uint32_t tile = s_tile;
    const size_t first_block = (size_t)tile * kTileBlocks + warp * kBlocksPerWarp;

    // Rate bytes: lane j < 16 holds block j's (every tile lies inside the header).
    const uint32_t my_rate = lane < kBlocksPerWarp ? in[first_block + lane] : 0;
    const uint32_t my_bytes = payload_bytes(my_rate);
    const uint32_t warp_bytes = __reduce_add_sync(kFull, my_bytes);
    if (lane == 0)
        s_warp_bytes[warp] = warp_bytes;
    __syncthreads();
    uint32_t local = 0, tile_bytes = 0;
#pragma unroll
    for (int w = 0; w < kWarps; w++) {
        const uint32_t b = s_warp_bytes[w];
        local += w < warp ? b : 0;
        tile_bytes += b;
    }
    if (warp == 0) {
        if (lane == 0)
            publish_aggregate(flags, tile, tile_bytes, epoch);
        const uint64_t base = look_back(flags, tile, tile_bytes, epoch);
        if (lane == 0)
            s_base = base;
    }
    __syncthreads();

    const uint8_t *src = in + header_bytes + s_base;
    const uint32_t shift = (uint32_t)((uintptr_t)src & 15);
    copy_in(s_stage, src, tile_bytes, in + in_bytes);
    __syncthreads();

    const size_t tile_first = (size_t)tile * kTileBlocks * 32;
    const uint32_t limit = n - tile_first < (size_t)kTileBlocks * 32 ? (uint32_t)(n - tile_first)
                                                                      : kTileBlocks * 32;
    const uint32_t mine = warp * kBlocksPerWarp * 32 + lane;
    T *dst = out + tile_first + mine;
#pragma unroll 4
    for (int j = 0; j < kBlocksPerWarp; j++) {
        const uint32_t rate_byte = __shfl_sync(kFull, my_rate, j);
        const uint32_t bytes = payload_bytes(rate_byte);
        const uint32_t off = shift + local;
        int q = 0;
        if (bytes != 0) {
            const bool outlier = rate_byte & 0x80;
            const int rate = outlier ? (rate_byte & 0x1f) : min(rate_byte, 31u);  // 32: corrupt
            const int nb = outlier ? ((rate_byte >> 5) & 3) + 1 : 0;
            // Lane 31 takes the sign word, lane p < rate plane p; the inverse transpose gives
            // every lane its row: |d| below bit 31, the sign in bit 31.
            const uint32_t at = off + nb + 4 * (lane == 31 ? 0 : lane + 1);
            uint32_t word = 0;
            if (lane == 31 || lane < rate)
                word = at & 3 ? load_u32_unaligned(s_stage, at)
                              : reinterpret_cast<const uint32_t *>(s_stage)[at >> 2];
            const uint32_t row = planes_to_rows(word);
            uint32_t a = row & 0x7fffffffu;
            if (outlier && lane == 0)  // element 0 of an outlier block: |q_0| in nb bytes
                a = load_u32_unaligned(s_stage, off) & (0xffffffffu >> (32 - 8 * nb));
            uint32_t sum = row >> 31 ? 0u - a : a;  // unsigned: corrupt input wraps
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) {
                const uint32_t v = __shfl_up_sync(kFull, sum, o);
                if (lane >= o)
                    sum += v;
            }
            q = (int)sum;
        }
        local += bytes;
        if (mine + 32 * j < limit)
            dst[32 * j] = Prec<T>::rebuild(q, eb);  // rate-0 blocks are written too (zeros)
    }
}

// ---- Host side: scratch cache, launches --------------------------------------------------------
struct Scratch {
    int device = -1;
    cudaStream_t stream = nullptr;
    DeviceResult *result = nullptr;  // device: result header followed by the flags
    uint64_t *flags = nullptr;
    size_t flag_count = 0;
    DeviceResult *host = nullptr;    // pinned copy of the result
    uint32_t ticket_base = 0;
    uint32_t epoch = 0;
};

constexpr int kMaxScratch = 16;
std::mutex g_mutex;
Scratch g_scratch[kMaxScratch];

void release(Scratch &s)
{
    if (s.result)
        cudaFree(s.result);
    if (s.host)
        cudaFreeHost(s.host);
    s = Scratch();
}

/* The scratch of (device, stream), grown to hold ntiles flags. Call with g_mutex held. */
Scratch *acquire(cudaStream_t stream, uint32_t ntiles)
{
    int device = 0;
    if (cudaGetDevice(&device) != cudaSuccess)
        return nullptr;
    Scratch *s = nullptr;
    for (auto &c : g_scratch)
        if (c.result && c.device == device && c.stream == stream)
            s = &c;
    if (!s) {
        for (auto &c : g_scratch)
            if (!c.result) {
                s = &c;
                break;
            }
        if (!s) {  // table full: recycle the first entry
            cudaDeviceSynchronize();
            release(g_scratch[0]);
            s = &g_scratch[0];
        }
    }
    if (s->result && s->flag_count >= ntiles)
        return s;
    if (s->result) {  // grow: earlier launches on this stream may still use the old buffer
        cudaStreamSynchronize(stream);
        release(*s);
    }
    const size_t count = ntiles < 1024 ? 1024 : ntiles;
    void *mem = nullptr;
    if (cudaMalloc(&mem, sizeof(DeviceResult) + count * sizeof(uint64_t)) != cudaSuccess)
        return nullptr;
    if (cudaMallocHost(reinterpret_cast<void **>(&s->host), sizeof(DeviceResult)) != cudaSuccess) {
        cudaFree(mem);
        return nullptr;
    }
    if (cudaMemsetAsync(mem, 0, sizeof(DeviceResult) + count * sizeof(uint64_t), stream) != cudaSuccess) {
        cudaFree(mem);
        cudaFreeHost(s->host);
        s->host = nullptr;
        return nullptr;
    }
    s->device = device;
    s->stream = stream;
    s->result = static_cast<DeviceResult *>(mem);
    s->flags = reinterpret_cast<uint64_t *>(static_cast<DeviceResult *>(mem) + 1);
    s->flag_count = count;
    s->ticket_base = 0;
    s->epoch = 0;
    return s;
}

/* The next epoch; when the 22-bit counter wraps, the flags are cleared so old ones never match. */
uint32_t next_epoch(Scratch &s)
{
    s.epoch = (s.epoch + 1) & ((1u << kEpochBits) - 1);
    if (s.epoch == 0) {
        cudaMemsetAsync(s.flags, 0, s.flag_count * sizeof(uint64_t), s.stream);
        s.epoch = 1;
    }
    return s.epoch;
}

bool bad_args(const void *in, size_t n, float eb, const void *out)
{
    return in == nullptr || out == nullptr || n == 0 || !(eb > 0.0f) || isinf(eb);
}

size_t header_size(size_t n) { return (n + kGroupValues - 1) / kGroupValues * 1024; }

template <typename T>
int compress(const T *in, size_t n, float eb, uint8_t *out, size_t capacity, size_t *out_bytes,
             void *stream_ptr)
{
    if (bad_args(in, n, eb, out) || out_bytes == nullptr)
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + 31) / 32;
    const size_t ntiles = (nblocks + kTileBlocks - 1) / kTileBlocks;
    if (ntiles >= (1u << 31))
        return SZ_ERR_ARGUMENT;
    const size_t header = header_size(n);
    if (capacity < header)
        return SZ_ERR_CAPACITY;
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    std::lock_guard<std::mutex> lock(g_mutex);
    Scratch *s = acquire(stream, (uint32_t)ntiles);
    if (!s)
        return SZ_ERR_DEVICE;
    const uint32_t epoch = next_epoch(*s);
    szp_compress_kernel<T, SZP_OUTLIER != 0><<<(unsigned)ntiles, kThreads, 0, stream>>>(
        in, n, eb, out, capacity, header, s->result, s->flags, s->ticket_base, epoch,
        (uint32_t)ntiles);
    s->ticket_base += (uint32_t)ntiles;
    cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess)
        err = cudaMemcpyAsync(s->host, s->result, sizeof(DeviceResult), cudaMemcpyDeviceToHost, stream);
    if (err == cudaSuccess)
        err = cudaStreamSynchronize(stream);
    if (err != cudaSuccess || s->host->done_epoch != epoch) {
        release(*s);  // the ticket and flags are in an unknown state
        return SZ_ERR_DEVICE;
    }
    if (s->host->range_epoch == epoch)
        return SZ_ERR_RANGE;
    const size_t total = header + s->host->total_payload;
    if (s->host->capacity_epoch == epoch || total > capacity)
        return SZ_ERR_CAPACITY;
    *out_bytes = total;
    return SZ_OK;
}

template <typename T>
int decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, T *out, void *stream_ptr)
{
    if (bad_args(in, n, eb, out))
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + 31) / 32;
    const size_t ntiles = (nblocks + kTileBlocks - 1) / kTileBlocks;
    if (ntiles >= (1u << 31))
        return SZ_ERR_ARGUMENT;
    const size_t header = header_size(n);
    if (in_bytes < header)
        return SZ_ERR_FORMAT;
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    std::lock_guard<std::mutex> lock(g_mutex);
    Scratch *s = acquire(stream, (uint32_t)ntiles);
    if (!s)
        return SZ_ERR_DEVICE;
    const uint32_t epoch = next_epoch(*s);
    szp_decompress_kernel<T><<<(unsigned)ntiles, kThreads, 0, stream>>>(
        in, in_bytes, n, eb, out, header, s->result, s->flags, s->ticket_base, epoch);
    s->ticket_base += (uint32_t)ntiles;
    if (cudaGetLastError() != cudaSuccess) {
        release(*s);
        return SZ_ERR_DEVICE;
    }
    return SZ_OK;
}

}  // namespace

extern "C" {

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream)
{
    return compress<float>(in, n, eb, out, out_capacity, out_bytes, stream);
}

int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    return decompress<float>(in, in_bytes, n, eb, out, stream);
}

int sz_compress_f64(const double *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                    size_t *out_bytes, void *stream)
{
    return compress<double>(in, n, eb, out, out_capacity, out_bytes, stream);
}

int sz_decompress_f64(const uint8_t *in, size_t in_bytes, size_t n, float eb, double *out,
                      void *stream)
{
    return decompress<double>(in, in_bytes, n, eb, out, stream);
}

}  // extern "C"
