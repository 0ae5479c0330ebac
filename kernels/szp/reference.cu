/* SZp, CUDA reference: the cuSZp 1D stream (v2/v3 layout), byte-identical to cuSZp.
 *
 * Build:  nvcc -O3 -arch=sm_90 -shared -Xcompiler -fPIC -I kernels/abi kernels/szp/reference.cu
 * Plain mode by default, outlier mode with -DSZP_OUTLIER=1 (the decoder reads both block kinds).
 * The stream format, the quantizer and the input contract are those of serial.c beside this file.
 *
 * ---- Design -----------------------------------------------------------------------------------
 * Both directions are bound by instruction issue, not by memory, on an H200 (a 32-value block
 * moves 128 + ~32 bytes but costs ~40 warp instructions), so the design counts instructions per
 * block. A CTA of SZP_WARPS warps owns a tile of SZP_WARPS * SZP_BLOCKS_PER_WARP blocks; a warp
 * owns consecutive 32-value blocks, and a lane owns one value of each block.
 *
 * Compression (one kernel, one pass over the input):
 *  A. Every warp loads all its values (one coalesced 128-byte load per block, all in flight
 *     together), then per block: quantizes, takes the in-block delta through one shuffle and gets
 *     the rate with one __reduce_max_sync (warp-uniform: no in-warp scan). The deltas stay in
 *     registers; NaN/Inf/too-large values raise a tile flag.
 *  B. The tile's payload size is known now, before any block is encoded: it is published at once,
 *     and warp 0 walks back over the predecessors (decoupled look-back, 32 tiles per step) to the
 *     tile's offset. Tile numbers come from an atomic ticket, so every predecessor of a tile has
 *     started: the look-back cannot deadlock. Publishing before encoding is what keeps the
 *     look-back short: with the size published after the encoding (until 2026-12-07), 41 % of
 *     the warps' stall samples in plain compression (25 % in outlier mode) were at the barrier
 *     that waited for it (Nsight Compute, source counters, 256 MiB, H100).
 *  C. Every warp encodes its blocks into its own shared staging region. A block's bit-planes come
 *     from a 32x32 bit transpose across the warp (5 stages of shuffle + rotate + one 3-input logic
 *     op, with the per-lane masks and rotate amounts computed once per thread, not per block);
 *     lane p then holds plane p and lane 31 the sign word, so a plain payload is one 32-bit store
 *     per lane. Outlier payloads have odd sizes: each lane realigns its word with its neighbour's
 *     (one more shuffle and a funnel shift) and stores one aligned word; the partial word at the
 *     end of a block stays in a register for the next.
 *  D. The CTA writes its rate bytes and every warp copies its staged payload out with 16-byte
 *     aligned stores (funnel shifts realign odd offsets).
 *
 * Decompression: the offset of every tile's payload depends only on the rate bytes, so by default
 * (SZP_DEC_OFFSETS=1) a small kernel reads the header once (16 bytes per thread), scans the tile
 * sizes with the same look-back over groups of 32 tiles, and writes one offset per tile; the
 * decode kernel then needs no look-back and no ticket: a CTA reads its offset and its rate bytes,
 * stages the tile's payload with 16-byte loads and decodes. (SZP_DEC_OFFSETS=0: one kernel with
 * the look-back inside, as compression.) Each warp decodes a block with the inverse transpose and
 * a 5-step shuffle prefix sum (the shuffle's own in-range predicate guards the add), writing every
 * output value (rate-0 blocks too). Warps whose blocks are all plain and 4-aligned take a path
 * with one aligned shared load per lane and block; others (outlier blocks) a path with unaligned
 * loads.
 *
 * Look-back flags carry a per-call epoch instead of being cleared, and the scratch (flags,
 * ticket, tile offsets, result) is allocated once per device and stream and then reused: a
 * compression launches one kernel and copies 32 bytes back (the compressed size, the error
 * flags); a decompression launches one or two kernels and nothing else. No host round trip.
 *
 * ---- Tuning (compile-time; bench/cuda_sweep.py builds and times the combinations) -------------
 *   SZP_WARPS            warps per CTA, both directions (default 8)
 *   SZP_BLOCKS_PER_WARP  32-value blocks per warp and tile (default 16)
 *   SZP_MIN_CTAS         CTAs per SM the f32 compressor is built for (launch bounds; default 5:
 *                        48 registers, no spills in either mode; 6 caps it at 40 and spills)
 *   SZP_DEC_MIN_CTAS     the same for the f32 decompressor (default 6: 40 registers, no spills)
 *   SZP_DEC_OFFSETS      1: tile offsets by a separate kernel (default); 0: look-back in the decoder
 *   SZP_STREAM_STORES    1: output stores marked evict-first (st.global.cs: the decoder's values,
 *                        the compressor's payload and rate bytes); 0: plain stores (default)
 * Each define given on the command line wins; the defaults are the one SZP_DEFAULTS line below, in
 * that order (bench/cuda_sweep.py prints the line of the variant it measured fastest).
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
/* The tuning defaults: WARPS, BLOCKS_PER_WARP, MIN_CTAS, DEC_MIN_CTAS, DEC_OFFSETS, STREAM_STORES */
#define SZP_DEFAULTS 8, 16, 5, 6, 1, 0
#define SZP_DEFAULT(pick) SZP_APPLY(pick, SZP_DEFAULTS)
#define SZP_APPLY(f, ...) f(__VA_ARGS__)
#define SZP_DEFAULT_WARPS(w, b, c, d, o, s) w
#define SZP_DEFAULT_BLOCKS_PER_WARP(w, b, c, d, o, s) b
#define SZP_DEFAULT_MIN_CTAS(w, b, c, d, o, s) c
#define SZP_DEFAULT_DEC_MIN_CTAS(w, b, c, d, o, s) d
#define SZP_DEFAULT_DEC_OFFSETS(w, b, c, d, o, s) o
#define SZP_DEFAULT_STREAM_STORES(w, b, c, d, o, s) s
#ifndef SZP_WARPS
#define SZP_WARPS SZP_DEFAULT(SZP_DEFAULT_WARPS)
#endif
#ifndef SZP_BLOCKS_PER_WARP
#define SZP_BLOCKS_PER_WARP SZP_DEFAULT(SZP_DEFAULT_BLOCKS_PER_WARP)
#endif
#ifndef SZP_MIN_CTAS
#define SZP_MIN_CTAS SZP_DEFAULT(SZP_DEFAULT_MIN_CTAS)
#endif
#ifndef SZP_DEC_MIN_CTAS
#define SZP_DEC_MIN_CTAS SZP_DEFAULT(SZP_DEFAULT_DEC_MIN_CTAS)
#endif
#ifndef SZP_DEC_OFFSETS
#define SZP_DEC_OFFSETS SZP_DEFAULT(SZP_DEFAULT_DEC_OFFSETS)
#endif
#ifndef SZP_STREAM_STORES
#define SZP_STREAM_STORES SZP_DEFAULT(SZP_DEFAULT_STREAM_STORES)
#endif

namespace {

constexpr int kWarps = SZP_WARPS;                     // warps per CTA
constexpr int kThreads = kWarps * 32;                 // threads per CTA
constexpr int kBlocksPerWarp = SZP_BLOCKS_PER_WARP;   // 32-value blocks per warp and tile
constexpr int kTileBlocks = kWarps * kBlocksPerWarp;  // blocks per tile
constexpr uint32_t kFull = 0xffffffffu;
constexpr size_t kGroupValues = 32768;                // values per 1024 rate bytes (cuSZp's warp)
constexpr int kMaxBlockBytes = 4 + 4 + 4 * 32;        // largest payload of any block (corrupt input)
constexpr int kStageBytes = kTileBlocks * kMaxBlockBytes + 32;
constexpr int kOffsetThreads = 256;                   // offsets kernel: 16 rate bytes per thread
constexpr int kOffsetBlocks = kOffsetThreads * 16;    // blocks per offsets CTA
static_assert(kBlocksPerWarp >= 4 && kBlocksPerWarp <= 32 && kBlocksPerWarp % 4 == 0,
              "a lane holds one block's rate byte; rate bytes are written 4 at a time");
static_assert(kOffsetBlocks % kTileBlocks == 0 && kTileBlocks % 16 == 0,
              "offsets CTAs cover whole tiles, threads whole 16-byte groups of one tile");
static_assert(kWarps >= 1 && kThreads <= 1024, "CTA size");
static_assert(1024 % kTileBlocks == 0 && kTileBlocks <= 512,
              "tiles tile the header (1024 rate bytes per 32768 values); a tile's 16-byte groups fit a warp");

// ---- Look-back flags: [status:2][epoch:22][value:40] -----------------------------------------
constexpr uint64_t kStatusAggregate = 1;  // value = the tile's own payload bytes
constexpr uint64_t kStatusInclusive = 2;  // value = payload bytes of tiles 0..t
constexpr uint64_t kStatusPoison = 3;     // a tile at or before t saw input it cannot encode
constexpr uint64_t kPoisoned = ~0ull;     // the exclusive prefix of a tile at or after a poisoned one
constexpr uint32_t kEpochBits = 22;
constexpr uint64_t kValueMask = (1ull << 40) - 1;

struct DeviceResult {  // device scratch of a stream's calls
    uint32_t ticket;   // tile ticket counter (never reset: the host tracks its base)
    uint32_t pad[7];
};

/* A compression's result, in mapped pinned host memory: the last tile writes it once its look-back
 * has the stream's size, done_epoch last, and the host spins on that word. Copying a result back and
 * synchronizing the stream (until 2026-12-07) added a driver round trip's jitter to every call,
 * about 4 us of spread at any size (bench/readback_jitter.py); the host also returns as soon as the
 * size is known, while the other tiles may still be writing (the caller reads them in stream order). */
struct HostResult {
    uint64_t total_payload;   // payload bytes of the whole stream
    uint32_t range_epoch;     // epoch of the last call that saw NaN/Inf/too-large input
    uint32_t capacity_epoch;  // epoch of the last call whose stream did not fit out_capacity
    uint32_t done_epoch;      // epoch of the call whose result this is (written last)
    uint32_t pad;
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

/* Publish a tile's own payload size (tile 0: its inclusive prefix; a bad tile: poison). One thread. */
__device__ __forceinline__ void publish_aggregate(uint64_t *flags, uint32_t tile, uint64_t aggregate,
                                                  uint32_t epoch, bool bad)
{
    store_flag(&flags[tile], bad ? kStatusPoison : tile == 0 ? kStatusInclusive : kStatusAggregate, epoch,
               aggregate);
}

/* One whole warp, after publish_aggregate: walk back over the predecessors (32 per step) to an
 * inclusive prefix, publish this tile's inclusive prefix, return the exclusive one (every lane).
 * A poisoned predecessor ends the walk: the tile publishes poison and gets kPoisoned. */
__device__ uint64_t look_back(uint64_t *flags, uint32_t tile, uint64_t aggregate, uint32_t epoch, bool bad)
{
    const int lane = threadIdx.x & 31;
    if (bad)
        return kPoisoned;  // published as poison already
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
        const uint32_t inclusive_lanes = __ballot_sync(kFull, status >= kStatusInclusive);
        const int stop = inclusive_lanes ? __ffs(inclusive_lanes) - 1 : 31;
        if (__shfl_sync(kFull, status, stop) == kStatusPoison) {
            if (lane == 0)
                store_flag(&flags[tile], kStatusPoison, epoch, 0);
            return kPoisoned;
        }
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

/* One whole warp: publish the tile's aggregate, look back, and leave the exclusive prefix in
 * *base (lane 0 writes it; the caller's barrier makes it visible). */
__device__ __forceinline__ uint64_t publish_and_look_back(uint64_t *flags, uint32_t tile, uint64_t aggregate,
                                                          uint32_t epoch, uint64_t *base, bool bad = false)
{
    if ((threadIdx.x & 31) == 0)
        publish_aggregate(flags, tile, aggregate, epoch, bad);
    const uint64_t exclusive = look_back(flags, tile, aggregate, epoch, bad);
    if ((threadIdx.x & 31) == 0)
        *base = exclusive;
    return exclusive;
}

/* The last tile's lane 0, once its look-back is done: the stream's result into the host's mapped
 * memory (HostResult), done_epoch last. room: the capacity after the header. */
__device__ __forceinline__ void report_result(HostResult *host, uint64_t base, uint32_t tile_bytes, size_t room,
                                              uint32_t epoch)
{
    volatile HostResult *h = host;
    const bool poisoned = base == kPoisoned;
    h->total_payload = poisoned ? 0 : base + tile_bytes;
    h->range_epoch = poisoned ? epoch : 0;
    h->capacity_epoch = !poisoned && base + tile_bytes > room ? epoch : 0;
    __threadfence_system();
    h->done_epoch = epoch;
}

// ---- Quantization, exactly as cuSZp ----------------------------------------------------------
template <typename T>
struct Prec;

template <>
struct Prec<float> {
    static constexpr int kMinCtas = SZP_MIN_CTAS;
    static constexpr int kDecMinCtas = SZP_DEC_MIN_CTAS;
    static constexpr int kMaxRate = 22;  // |q| < 2^20 so |d| < 2^21
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
    static constexpr int kDecMinCtas = 4;
    static constexpr int kMaxRate = 31;  // |q| < 2^30; a rate of 32 is rejected as a range error
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

/* Bit-planes by a 32x32 bit-matrix transpose across the warp (5 shuffle-xor stages).
 * The stream stores plane p of a block as a big-endian word: value i at bit 7 - i%8 of byte i/8,
 * i.e. at bit i^7 of the little-endian word. The stages for j = 4, 2, 1 also apply that i -> i^7
 * to the columns, so no separate bit reversal is needed.
 * Encoding: lane l holds row l (bit p = bit p of value l); afterwards lane p holds plane p in
 * stream layout. Decoding is its inverse.
 * Stage J swaps J x J blocks between lanes l and l^J: a shuffle, a rotate and one 3-input logic
 * op. Stages 16 and 8 are plain swaps: keep = hi ? ~m : m, result = (x & keep) | (rotl(y, a) &
 * ~keep) with a = hi ? 32 - J : J. Stages 4, 2, 1 also map column bit J to its complement:
 * result = (rotl(x, a) & keep) | (y & ~keep) with keep = down ? m : ~m, a = down ? 32 - J : J,
 * where down = hi when encoding and !hi when decoding. keep and a depend only on the lane: they
 * are computed once per thread (Transpose), so a stage is 3 instructions. */
__device__ __forceinline__ constexpr uint32_t stage_mask(int j)
{
    return j == 16 ? 0x0000ffffu : j == 8 ? 0x00ff00ffu : j == 4 ? 0x0f0f0f0fu : j == 2 ? 0x33333333u : 0x55555555u;
}

struct Transpose {
    uint32_t keep[5];    // stages J = 16, 8, 4, 2, 1
    uint32_t amount[5];  // rotate amounts (stage 16: 16 on every lane)
};

/* A value the compiler cannot see through: keeps the per-lane masks in registers as they are
 * (otherwise it rewrites keep = m ^ flag and spends a second logic op per stage). */
__device__ __forceinline__ uint32_t opaque(uint32_t v)
{
    asm("mov.b32 %0, %0;" : "+r"(v));
    return v;
}

__device__ __forceinline__ float opaque_value(float v) { return __uint_as_float(opaque(__float_as_uint(v))); }

__device__ __forceinline__ double opaque_value(double v)
{
    asm("mov.b64 %0, %0;" : "+d"(v));
    return v;
}

template <bool kEncode>
__device__ __forceinline__ Transpose make_transpose()
{
    const int lane = threadIdx.x & 31;
    Transpose t;
#pragma unroll
    for (int s = 0; s < 5; s++) {
        const int J = 16 >> s;
        const uint32_t m = stage_mask(J);
        const bool hi = lane & J;
        const bool down = s < 2 ? !hi : kEncode == hi;  // stages 16, 8: keep = hi ? ~m : m
        t.keep[s] = opaque(down ? m : ~m);
        t.amount[s] = opaque(s < 2 ? (hi ? 32 - J : J) : (down ? 32 - J : J));
    }
    return t;
}

/* Shared memory by 32-bit address: one add and one instruction per access, predicated. */
__device__ __forceinline__ uint32_t shared_addr(const void *p)
{
    return (uint32_t)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void st_shared_if(uint32_t addr, uint32_t v, bool pred)
{
    asm volatile("{\n\t.reg .pred p;\n\tsetp.ne.u32 p, %2, 0;\n\t@p st.shared.u32 [%0], %1;\n\t}"
                 ::"r"(addr), "r"(v), "r"((uint32_t)pred) : "memory");
}

__device__ __forceinline__ uint32_t ld_shared_if(uint32_t addr, bool pred)
{
    uint32_t v = 0;
    asm volatile("{\n\t.reg .pred p;\n\tsetp.ne.u32 p, %2, 0;\n\t@p ld.shared.u32 %0, [%1];\n\t}"
                 : "+r"(v) : "r"(addr), "r"((uint32_t)pred) : "memory");
    return v;
}

template <int S>
__device__ __forceinline__ uint32_t transpose_stage(uint32_t x, const Transpose &t)
{
    constexpr int J = 16 >> S;
    const uint32_t y = __shfl_xor_sync(kFull, x, J);
    const uint32_t keep = t.keep[S];
    if (S == 0)
        return (x & keep) | (__funnelshift_l(y, y, 16) & ~keep);
    if (S == 1)
        return (x & keep) | (__funnelshift_l(y, y, t.amount[S]) & ~keep);
    return (__funnelshift_l(x, x, t.amount[S]) & keep) | (y & ~keep);
}

__device__ __forceinline__ uint32_t transpose(uint32_t x, const Transpose &t)
{
    x = transpose_stage<0>(x, t);
    x = transpose_stage<1>(x, t);
    x = transpose_stage<2>(x, t);
    x = transpose_stage<3>(x, t);
    return transpose_stage<4>(x, t);
}

/* Inclusive prefix sum over the warp; the shuffle's in-range predicate guards each add. */
__device__ __forceinline__ uint32_t warp_inclusive_sum(uint32_t v)
{
#pragma unroll
    for (int o = 1; o < 32; o <<= 1)
        asm("{\n\t.reg .u32 t;\n\t.reg .pred p;\n\t"
            "shfl.sync.up.b32 t|p, %0, %1, 0, 0xffffffff;\n\t"
            "@p add.u32 %0, %0, t;\n\t}"
            : "+r"(v)
            : "r"(o));
    return v;
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

/* An output store: evict-first (st.global.cs) with SZP_STREAM_STORES, else a plain store. */
template <typename V>
__device__ __forceinline__ void store_out(V *p, V v)
{
#if SZP_STREAM_STORES
    __stcs(p, v);
#else
    *p = v;
#endif
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
        store_out(reinterpret_cast<uint4 *>(dst + s), q);
    }
    const uint32_t tail = head + 16 * vecs;
    if (tail + lane < size)
        dst[tail + lane] = stage[tail + lane];
}

/* A block's payload layout from its rate byte: planes stored, bytes of |q_0| (outlier form), payload bytes. */
template <bool kOutlier>
struct BlockShape {
    int planes, nb;
    uint32_t bytes;
    __device__ __forceinline__ explicit BlockShape(uint32_t rate_byte)
    {
        if (!kOutlier) {
            planes = rate_byte;
            nb = 0;
            bytes = 4 * (planes + min(planes, 1));
        } else {  // plain blocks have rates <= kMaxRate < 32, outlier blocks the flag 0x80
            planes = rate_byte & 0x1f;
            nb = rate_byte & 0x80 ? ((rate_byte >> 5) & 3) + 1 : 0;
            bytes = planes | nb ? 4 + 4 * planes + nb : 0;
        }
    }
};

/* Phase 1 of a warp: quantize its blocks, take the in-block deltas and pick each block's rate (in
 * outlier mode also its form); keep the deltas in d for phase 2 and the rate bytes in rates (4 to a
 * word, warp-uniform); return the warp's payload bytes. All loads are issued first so that they are
 * in flight together. kCheck: the tile is partial; values at and past limit are missing (their d
 * is 0, as cuSZp pads a block). */
template <typename T, bool kOutlier, bool kCheck>
__device__ __forceinline__ uint32_t rate_blocks(const T *src, uint32_t mine, uint32_t limit,
                                                decltype(Prec<T>::recip(1.0f)) r, int (&d)[kBlocksPerWarp],
                                                uint32_t (&rates)[kBlocksPerWarp / 4], bool &bad)
{
    const int lane = threadIdx.x & 31;
    T x[kBlocksPerWarp];
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++)
        x[j] = !kCheck || mine + 32 * j < limit ? __ldcs(src + 32 * j) : T(0);
    uint32_t local = 0;
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++) {
        const bool valid = !kCheck || mine + 32 * j < limit;
        const int q = valid ? Prec<T>::quantize(x[j], r, bad) : 0;
        const int prev = __shfl_up_sync(kFull, q, 1);
        // Past the end (partial last block) d = 0, as cuSZp pads a block: not q = 0, whose
        // delta at the first missing value would be -q of the last real one.
        d[j] = !valid ? 0 : lane ? (int)((uint32_t)q - (uint32_t)prev) : q;
        const uint32_t a = d[j] < 0 ? 0u - (uint32_t)d[j] : (uint32_t)d[j];
        uint32_t rate_byte, bytes;
        if (!kOutlier) {
            // Rates above kMaxRate come only with bad input (flagged): clamp to stay in the stage.
            rate_byte = min(bit_length(__reduce_max_sync(kFull, a)), Prec<T>::kMaxRate);
            bytes = 4 * (rate_byte + min(rate_byte, 1u));
        } else {  // one reduction: the rate of all 32 is max(rate of 1..31, bits of |d_0|)
            const uint32_t a0 = __shfl_sync(kFull, a, 0);
            const int rate2 = min(bit_length(__reduce_max_sync(kFull, lane ? a : 0u)), Prec<T>::kMaxRate);
            const int rate = min(max(rate2, bit_length(a0)), Prec<T>::kMaxRate);
            rate_byte = rate;
            bytes = rate ? 4 + 4 * rate : 0;
            const int outlier_nb = (bit_length(a0) + 7) >> 3;
            const uint32_t outlier_bytes = 4 + 4 * rate2 + outlier_nb;
            if (outlier_bytes < bytes) {  // plain wins ties
                rate_byte = 0x80 | (outlier_nb - 1) << 5 | rate2;
                bytes = outlier_bytes;
            }
        }
        rates[j / 4] |= rate_byte << (8 * (j % 4));
        local += bytes;
    }
    return local;
}

/* Phase 2 of a warp: encode its blocks from phase 1's deltas and rate bytes (rate_bytes: the
 * warp's, in shared memory; read there rather than held in registers through phase 2) into its own
 * staging region (stage: its shared address, 4-aligned). */
template <bool kOutlier>
__device__ __forceinline__ void stage_blocks(const int (&d)[kBlocksPerWarp], const uint8_t *rate_bytes,
                                             uint32_t stage, const Transpose &tp)
{
    const int lane = threadIdx.x & 31;
    const bool is31 = lane == 31;
    // This lane's payload word: the sign word (lane 31), then plane p (lane p).
    const uint32_t my_word = stage + (is31 ? 0 : 4 * (lane + 1));
    const uint32_t lane_before = opaque((lane + 31) & 31);  // outlier: the previous slot's lane
    uint32_t local = 0;  // warp-uniform byte offset in the staging region
    uint32_t pend = 0;   // outlier: bytes [local & ~3, local) of the partial last word
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++) {
        const BlockShape<kOutlier> b(rate_bytes[j]);
        const uint32_t a = d[j] < 0 ? 0u - (uint32_t)d[j] : (uint32_t)d[j];
        // Row = sign in bit 31, |d| below; element 0 of an outlier block is stored whole, so its
        // plane bits are 0. After the transpose lane p < planes holds plane p and lane 31 the sign
        // word: payload words 1 + p and 0.
        const uint32_t row = ((uint32_t)d[j] & 0x80000000u) | (b.nb && lane == 0 ? 0u : a);
        const uint32_t word = transpose(row, tp);
        const bool store = lane < b.planes || is31;
        if (!kOutlier) {  // plain streams: every payload starts 4-aligned. A rate-0 block stores
                          // a zero sign word at local, which the next block overwrites.
            st_shared_if(my_word + local, word, store);
        } else {  // branch-free; a rate-0 block (bytes == 0) stores nothing and keeps pend
            // The payload: |q_0| (nb bytes) at local, then the words at q_at + 4 * slot. Each
            // lane stores the aligned word that ends in its own word, made of the previous
            // slot's word (lane - 1) and its own; lane 31 (the sign word, first) takes the bytes
            // before it from pend and |q_0|. If |q_0| completes the partial word, lane 0 stores
            // that word first.
            const uint32_t a0 = __shfl_sync(kFull, a, 0);
            const uint32_t fill = local & 3, q_at = local + b.nb, mis = 8 * (q_at & 3);
            const bool flush = fill + b.nb >= 4;
            st_shared_if(stage + (local & ~3u), pend | a0 << (8 * fill), flush && lane == 0);
            uint32_t before = __shfl_sync(kFull, word, lane_before);
            if (is31)
                before = __funnelshift_lc(0, flush ? 0u : pend, 32 - mis) | __funnelshift_lc(0, a0, 32 - 8 * b.nb);
            st_shared_if(my_word + (q_at & ~3u), __funnelshift_l(before, word, mis), store && b.bytes);
            const uint32_t last = __shfl_sync(kFull, word, b.planes ? b.planes - 1 : 31);
            pend = b.bytes ? __funnelshift_rc(last, 0, 32 - mis) : pend;
        }
        local += b.bytes;
    }
    if (kOutlier)
        st_shared_if(stage + (local & ~3u), pend, (local & 3) && lane == 0);
}

template <typename T, bool kOutlier>
__global__ void __launch_bounds__(kThreads, Prec<T>::kMinCtas)
    szp_compress_kernel(const T *__restrict__ in, size_t n, float eb, uint8_t *__restrict__ out,
                        size_t capacity, size_t header_bytes, DeviceResult *res, HostResult *host,
                        uint64_t *flags, uint32_t ticket_base, uint32_t epoch, uint32_t ntiles)
{
    // Each warp stages its payload in its own region: a block's payload is at most 4 + 4 * rate
    // (+ 4 bytes of |q_0| in outlier mode), plus one word of slack.
    constexpr int kWarpStage = (kBlocksPerWarp * (8 + 4 * Prec<T>::kMaxRate) + 16 + 15) / 16 * 16;
    __shared__ uint32_t s_tile;
    __shared__ uint32_t s_warp_bytes[kWarps];
    __shared__ uint64_t s_base;
    __shared__ __align__(16) uint8_t s_rate[kTileBlocks];
    __shared__ __align__(16) uint32_t s_stage[kWarps * kWarpStage / 4];

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
    // Opaque: under register pressure the compiler would rather recompute the division per block.
    const auto r = opaque_value(Prec<T>::recip(eb));
    uint32_t *stage = s_stage + warp * (kWarpStage / 4);
    const uint32_t stage_at = opaque(shared_addr(stage));

    // A: quantize, predict and rate every block (the bounds checks only in the last, partial tile).
    bool bad = false;
    int d[kBlocksPerWarp];
    uint32_t rates[kBlocksPerWarp / 4] = {};  // the rate bytes, 4 to a word (warp-uniform)
    const uint32_t warp_bytes =
        limit == kTileBlocks * 32 ? rate_blocks<T, kOutlier, false>(src, mine, limit, r, d, rates, bad)
                                  : rate_blocks<T, kOutlier, true>(src, mine, limit, r, d, rates, bad);
    if (lane == 0) {
        s_warp_bytes[warp] = warp_bytes;
#pragma unroll
        for (int k = 0; k < kBlocksPerWarp / 4; k++)
            reinterpret_cast<uint32_t *>(s_rate + warp * kBlocksPerWarp)[k] = rates[k];
    }
    const bool tile_bad = __syncthreads_or(bad);

    // B: the tile's size, published at once (its successors look back over it while this tile
    // encodes); warp 0 then looks back to the tile's offset before it encodes its own blocks.
    uint32_t warp_offset = 0, tile_bytes = 0;
#pragma unroll
    for (int w = 0; w < kWarps; w++) {
        const uint32_t b = s_warp_bytes[w];
        warp_offset += w < warp ? b : 0;
        tile_bytes += b;
    }
    if (warp == 0) {
        // A bad tile publishes poison, which every later tile's look-back passes on; the last tile
        // then has the stream's size, or knows it has none, and tells the host.
        const uint64_t base = publish_and_look_back(flags, tile, tile_bytes, epoch, &s_base, tile_bad);
        if (lane == 0 && tile == ntiles - 1)
            report_result(host, base, tile_bytes, capacity - header_bytes, epoch);
    }

    // C: encode into the warp's staging region: bit-planes, signs, |q_0| (the transpose's per-lane
    // masks are made here, not held in registers through A and the look-back).
    stage_blocks<kOutlier>(d, s_rate + warp * kBlocksPerWarp, stage_at, make_transpose<true>());
    __syncthreads();

    // D: rate bytes, zero padding of the header after the last tile, payload.
    const size_t rate_pos = (size_t)tile * kTileBlocks;
    const bool out_aligned = ((uintptr_t)out & 15) == 0;
    if (out_aligned) {
        if (threadIdx.x < kTileBlocks / 16)
            store_out(reinterpret_cast<uint4 *>(out + rate_pos) + threadIdx.x,
                      reinterpret_cast<const uint4 *>(s_rate)[threadIdx.x]);
    } else {
        for (int i = threadIdx.x; i < kTileBlocks; i += kThreads)
            out[rate_pos + i] = s_rate[i];
    }
    if (tile == ntiles - 1)
        for (size_t i = (size_t)ntiles * kTileBlocks + threadIdx.x; i < header_bytes; i += kThreads)
            out[i] = 0;
    if (s_base != kPoisoned && s_base + tile_bytes <= capacity - header_bytes)
        warp_copy_out(out + header_bytes + s_base + warp_offset, reinterpret_cast<const uint8_t *>(stage),
                      warp_bytes);
}

// ---- Decompression -----------------------------------------------------------------------------
#if SZP_DEC_OFFSETS
/* Tile offsets (SZP_DEC_OFFSETS=1): a CTA reads kOffsetBlocks rate bytes, 16 per thread; the
 * threads of a tile add their sizes, the CTA scans its tiles, and a look-back over the CTAs (by
 * ticket) gives every tile the offset of its payload after the header. */
__global__ void __launch_bounds__(kOffsetThreads)
    szp_offsets_kernel(const uint8_t *__restrict__ in, uint32_t ntiles, DeviceResult *res,
                       uint64_t *flags, uint64_t *__restrict__ tile_offsets, uint32_t ticket_base,
                       uint32_t epoch)
{
    constexpr int kThreadsPerTile = kTileBlocks / 16;
    constexpr int kTilesPerCta = kOffsetThreads / kThreadsPerTile;
    __shared__ uint32_t s_cta;
    __shared__ uint32_t s_tile_bytes[kTilesPerCta];
    __shared__ uint64_t s_base;
    const int lane = threadIdx.x & 31;
    if (threadIdx.x == 0)
        s_cta = atomicAdd(&res->ticket, 1u) - ticket_base;
    __syncthreads();
    const uint32_t cta = s_cta;
    const size_t first_block = (size_t)cta * kOffsetBlocks + 16 * threadIdx.x;
    const uint32_t tile_in_cta = threadIdx.x / kThreadsPerTile;
    const size_t tile = (size_t)cta * kTilesPerCta + tile_in_cta;
    uint32_t bytes = 0;
    if (tile < ntiles) {  // every tile lies inside the header
        const uint8_t *p = in + first_block;
        uint32_t w[4];
        if (((uintptr_t)p & 15) == 0) {
            const uint4 v = __ldcs(reinterpret_cast<const uint4 *>(p));
            w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
        } else {
#pragma unroll
            for (int k = 0; k < 4; k++)
                w[k] = p[4 * k] | p[4 * k + 1] << 8 | p[4 * k + 2] << 16 | (uint32_t)p[4 * k + 3] << 24;
        }
#pragma unroll
        for (int k = 0; k < 16; k++)
            bytes += payload_bytes((w[k / 4] >> (8 * (k % 4))) & 0xff);
    }
#pragma unroll
    for (int o = 1; o < kThreadsPerTile; o <<= 1)
        bytes += __shfl_xor_sync(kFull, bytes, o);
    if (threadIdx.x % kThreadsPerTile == 0)
        s_tile_bytes[tile_in_cta] = bytes;
    __syncthreads();
    if (threadIdx.x < 32) {
        // Exclusive scan of the CTA's tiles (kTilesPerCta <= 32 * 32), one warp.
        uint64_t carry = 0;
        for (int t0 = 0; t0 < kTilesPerCta; t0 += 32) {
            const uint32_t b = t0 + lane < kTilesPerCta ? s_tile_bytes[t0 + lane] : 0;
            const uint32_t incl = warp_inclusive_sum(b);
            if (t0 + lane < kTilesPerCta)
                s_tile_bytes[t0 + lane] = (uint32_t)(carry + incl - b);  // < 2^32: CTA local
            carry += __shfl_sync(kFull, incl, 31);
        }
        publish_and_look_back(flags, cta, carry, epoch, &s_base);
    }
    __syncthreads();
    for (int t = threadIdx.x; t < kTilesPerCta; t += kOffsetThreads)
        if ((size_t)cta * kTilesPerCta + t < ntiles)
            tile_offsets[(size_t)cta * kTilesPerCta + t] = s_base + s_tile_bytes[t];
}
#endif

/* Decode one warp's blocks from the staged payload (stage: its shared address; base: the byte
 * offset of the warp's first payload in it). block_info (lane j < kBlocksPerWarp): block j's rate
 * byte | its payload offset (from base) << 8. kPlain: every block is plain and base is 4-aligned
 * (one aligned load per lane); otherwise outlier blocks and any alignment. */
template <typename T, bool kPlain, bool kCheck>
__device__ __forceinline__ void decode_blocks(uint32_t stage, uint32_t base, uint32_t block_info,
                                              float eb, T *dst, uint32_t mine, uint32_t limit,
                                              const Transpose &tp)
{
    const int lane = threadIdx.x & 31;
    const bool is31 = lane == 31;
    const uint32_t my_word = stage + base + (is31 ? 0 : 4 * (lane + 1));
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++) {
        const uint32_t info = __shfl_sync(kFull, block_info, j);
        const uint32_t rate_byte = info & 0xff;
        const uint32_t off = info >> 8;
        uint32_t a, row;
        if (kPlain) {
            // Rate 0: lane 31 reads some sign word, but every magnitude is 0, and so every value.
            const uint32_t rate = min(rate_byte, 31u);  // 32..127: corrupt
            row = transpose(ld_shared_if(my_word + off, lane < rate || is31), tp);
            a = row & 0x7fffffffu;
        } else {
            const bool outlier = rate_byte & 0x80;
            const uint32_t rate = outlier ? (rate_byte & 0x1f) : min(rate_byte, 31u);
            const uint32_t nb = outlier ? ((rate_byte >> 5) & 3) + 1 : 0;
            // Unaligned: the two aligned words around it and a funnel shift.
            const uint32_t at = my_word + off + nb;
            const bool load = lane < rate || is31;
            const uint32_t lo = ld_shared_if(at & ~3u, load), hi = ld_shared_if((at & ~3u) + 4, load);
            row = transpose(__funnelshift_r(lo, hi, 8 * (at & 3)), tp);
            a = row & 0x7fffffffu;
            if (outlier) {  // element 0 of an outlier block: |q_0| in nb bytes, for lane 0
                const uint32_t at0 = stage + base + off;
                const bool first = lane == 0;
                const uint32_t lo0 = ld_shared_if(at0 & ~3u, first), hi0 = ld_shared_if((at0 & ~3u) + 4, first);
                if (first)
                    a = __funnelshift_r(lo0, hi0, 8 * (at0 & 3)) & (0xffffffffu >> (32 - 8 * nb));
            }
        }
        const uint32_t s = (uint32_t)((int)row >> 31);
        const uint32_t q = warp_inclusive_sum((a ^ s) - s);  // unsigned: corrupt input wraps
        if (!kCheck || mine + 32 * j < limit)
            store_out(dst + 32 * j, Prec<T>::rebuild((int)q, eb));  // rate-0 blocks are written too
    }
}

template <typename T>
__global__ void __launch_bounds__(kThreads, Prec<T>::kDecMinCtas)
    szp_decompress_kernel(const uint8_t *__restrict__ in, size_t in_bytes, size_t n, float eb,
                          T *__restrict__ out, size_t header_bytes, DeviceResult *res,
                          uint64_t *flags, const uint64_t *__restrict__ tile_offsets,
                          uint32_t ticket_base, uint32_t epoch)
{
#if !SZP_DEC_OFFSETS
    __shared__ uint32_t s_tile;
#endif
    __shared__ uint32_t s_warp_bytes[kWarps];
    __shared__ uint64_t s_base;
    __shared__ __align__(16) uint8_t s_stage[kStageBytes + 16];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#if SZP_DEC_OFFSETS
    const uint32_t tile = blockIdx.x;
    uint64_t tile_base = 0;
    if (threadIdx.x == 0)
        tile_base = tile_offsets[tile];
#else
    if (threadIdx.x == 0)
        s_tile = atomicAdd(&res->ticket, 1u) - ticket_base;
    __syncthreads();
    const uint32_t tile = s_tile;
#endif
    const size_t first_block = (size_t)tile * kTileBlocks + warp * kBlocksPerWarp;

    // Rate bytes: lane j < kBlocksPerWarp holds block j's (every tile lies inside the header);
    // their payload offsets in the warp's part by a scan.
    const uint32_t my_rate = lane < kBlocksPerWarp ? in[first_block + lane] : 0;
    const uint32_t my_bytes = payload_bytes(my_rate);
    const uint32_t my_end = warp_inclusive_sum(my_bytes);
    const uint32_t warp_bytes = __shfl_sync(kFull, my_end, 31);
    const uint32_t block_info = my_rate | (my_end - my_bytes) << 8;
    const bool all_plain = !__any_sync(kFull, my_rate & 0x80);
    const Transpose tp = make_transpose<false>();
    if (lane == 0)
        s_warp_bytes[warp] = warp_bytes;
#if SZP_DEC_OFFSETS
    if (threadIdx.x == 0)
        s_base = tile_base;
#endif
    __syncthreads();
    uint32_t local = 0, tile_bytes = 0;
#pragma unroll
    for (int w = 0; w < kWarps; w++) {
        const uint32_t b = s_warp_bytes[w];
        local += w < warp ? b : 0;
        tile_bytes += b;
    }
#if !SZP_DEC_OFFSETS
    if (warp == 0)
        publish_and_look_back(flags, tile, tile_bytes, epoch, &s_base);
    __syncthreads();
#endif

    const uint8_t *src = in + header_bytes + s_base;
    const uint32_t shift = (uint32_t)((uintptr_t)src & 15);
    copy_in(s_stage, src, tile_bytes, in + in_bytes);
    __syncthreads();

    const size_t tile_first = (size_t)tile * kTileBlocks * 32;
    const uint32_t limit = n - tile_first < (size_t)kTileBlocks * 32 ? (uint32_t)(n - tile_first)
                                                                      : kTileBlocks * 32;
    const uint32_t mine = warp * kBlocksPerWarp * 32 + lane;
    T *dst = out + tile_first + mine;
    const uint32_t base = shift + local;
    const uint32_t stage_at = opaque(shared_addr(s_stage));
    if (limit == kTileBlocks * 32) {
        if (all_plain && (base & 3) == 0)
            decode_blocks<T, true, false>(stage_at, base, block_info, eb, dst, mine, limit, tp);
        else
            decode_blocks<T, false, false>(stage_at, base, block_info, eb, dst, mine, limit, tp);
    } else {
        decode_blocks<T, false, true>(stage_at, base, block_info, eb, dst, mine, limit, tp);
    }
}

// ---- Host side: scratch cache, launches --------------------------------------------------------
struct Scratch {
    int device = -1;
    cudaStream_t stream = nullptr;
    DeviceResult *result = nullptr;  // device: result header, the flags, the tile offsets
    uint64_t *flags = nullptr;
    uint64_t *tile_offsets = nullptr;
    size_t flag_count = 0;           // entries of flags and of tile_offsets
    HostResult *host = nullptr;      // a compression's result, in mapped pinned memory (the last tile writes it)
    HostResult *host_dev = nullptr;  // its device address
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
    const size_t bytes = sizeof(DeviceResult) + 2 * count * sizeof(uint64_t);
    if (cudaMalloc(&mem, bytes) != cudaSuccess)
        return nullptr;
    if (cudaHostAlloc(reinterpret_cast<void **>(&s->host), sizeof(HostResult), cudaHostAllocMapped) !=
        cudaSuccess) {
        cudaFree(mem);
        return nullptr;
    }
    if (cudaHostGetDevicePointer(reinterpret_cast<void **>(&s->host_dev), s->host, 0) != cudaSuccess) {
        cudaFree(mem);
        cudaFreeHost(s->host);
        s->host = nullptr;
        return nullptr;
    }
    if (cudaMemsetAsync(mem, 0, bytes, stream) != cudaSuccess) {
        cudaFree(mem);
        cudaFreeHost(s->host);
        s->host = nullptr;
        return nullptr;
    }
    s->device = device;
    s->stream = stream;
    s->result = static_cast<DeviceResult *>(mem);
    s->flags = reinterpret_cast<uint64_t *>(static_cast<DeviceResult *>(mem) + 1);
    s->tile_offsets = s->flags + count;
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

/* Wait until the last compression CTA has written the result for epoch into the mapped host copy:
 * spin on its done word, asking the stream now and then whether it failed or ended without it. */
bool wait_for_result(const Scratch &s, uint32_t epoch)
{
    for (uint32_t spin = 1;; spin++) {
        if (__atomic_load_n(&s.host->done_epoch, __ATOMIC_ACQUIRE) == epoch)
            return true;
        if (spin % 4096 == 0) {
            const cudaError_t state = cudaStreamQuery(s.stream);
            if (state == cudaSuccess)  // the stream is idle: the word is there now, or never will be
                return __atomic_load_n(&s.host->done_epoch, __ATOMIC_ACQUIRE) == epoch;
            if (state != cudaErrorNotReady)
                return false;
        }
    }
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
    __atomic_store_n(&s->host->done_epoch, 0u, __ATOMIC_RELEASE);
    szp_compress_kernel<T, SZP_OUTLIER != 0><<<(unsigned)ntiles, kThreads, 0, stream>>>(
        in, n, eb, out, capacity, header, s->result, s->host_dev, s->flags, s->ticket_base, epoch,
        (uint32_t)ntiles);
    s->ticket_base += (uint32_t)ntiles;
    if (cudaGetLastError() != cudaSuccess || !wait_for_result(*s, epoch)) {
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
#if SZP_DEC_OFFSETS
    const uint32_t offset_ctas = (uint32_t)((ntiles * kTileBlocks + kOffsetBlocks - 1) / kOffsetBlocks);
    szp_offsets_kernel<<<offset_ctas, kOffsetThreads, 0, stream>>>(
        in, (uint32_t)ntiles, s->result, s->flags, s->tile_offsets, s->ticket_base, epoch);
    s->ticket_base += offset_ctas;
    szp_decompress_kernel<T><<<(unsigned)ntiles, kThreads, 0, stream>>>(
        in, in_bytes, n, eb, out, header, s->result, s->flags, s->tile_offsets, 0, epoch);
#else
    szp_decompress_kernel<T><<<(unsigned)ntiles, kThreads, 0, stream>>>(
        in, in_bytes, n, eb, out, header, s->result, s->flags, s->tile_offsets, s->ticket_base, epoch);
    s->ticket_base += (uint32_t)ntiles;
#endif
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
