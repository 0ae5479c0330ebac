/* SZx, CUDA reference: the SZx random-access stream (block size 128), all on the GPU, byte-identical
 * to SZx 1.1.1's `-m 3` / `-m 4` output.
 *
 * Build:  nvcc -O3 -arch=sm_90 -shared -Xcompiler -fPIC -I kernels/abi kernels/szx/reference.cu
 *
 * ---- Stream -----------------------------------------------------------------------------------
 *   [1,1,1,1] [block size: u64 BE = 128] [nbConstant: u64 BE]
 *   [record size: u16 LE per non-constant block] [state bitmap: 1 bit per block, MSB first, 1 =
 *   non-constant] [median of each constant block: f32 BE] [records of the non-constant blocks]
 *   record = [L: u8] [median: f32 BE] [lead codes: 2 bits per value, 4 per byte, first value in
 *   the high bits] [mid-bytes]
 * Per block of m <= 128 values (the last block may be short): radius = (max - min) / 2, median =
 * min + radius; constant when radius <= eb. Otherwise L = 10 + E(radius) - E(eb) clamped to
 * [9, 32] (above 32: L = 32 and median = 0, lossless); B = ceil(L/8), s = 8B - L; each value
 * becomes v = bits(x - median) >> s (logical), lead = identical leading bytes of v and the
 * previous v (0 before the first), at most 3, and the bytes 4-B .. 3-lead of v are emitted, low
 * byte first. A block with a NaN or an Inf is stored losslessly (L = 32, median 0, v = bits(x)).
 *
 * ---- Design -----------------------------------------------------------------------------------
 * A warp owns a 128-value block: each lane loads 4 consecutive values as one float4. Min/max are
 * shuffle reductions, the previous value of a lane's first value is one shuffle, leads are clz
 * of XORs, and the mid-byte offsets a 5-step shuffle scan.
 * The layout puts the record sizes, bitmap, medians and records at offsets that depend on the
 * global number of constant blocks, so compression runs two kernels without any host round trip:
 *  1. sizes: every tile (8 warps x 4 blocks) classifies its blocks, counts the non-constant ones
 *     and their record bytes, and a decoupled look-back gives every tile its exclusive prefix
 *     (count and bytes packed in one 64-bit flag); the last tile leaves the totals on the device.
 *  2. write: every tile recomputes its blocks (a second read of the input, cheaper than keeping
 *     the encoded bytes), stages its records in shared memory and copies them out with 16-byte
 *     stores; record sizes, bitmap bytes and constant medians go straight to their places.
 * Decompression: an index kernel turns the bitmap and the size array into a per-block (record
 * offset | constant rank) table with two chained look-backs, then a decode kernel stages each
 * record in shared memory, reads each value's own mid-bytes with one unaligned 4-byte window
 * (two aligned shared loads and a funnel shift, not a load per byte), and rebuilds the inherited
 * leading bytes with a warp scan of a "last writer per byte" operator, writing float4 per lane,
 * constant blocks included.
 */
#include "sz_abi.h"

#include <cuda_runtime.h>
#include <math.h>
#include <mutex>
#include <stdint.h>
#include <string.h>

/* Tuning (compile-time; bench/cuda_sweep.py builds and times the combinations):
 *   SZX_WARPS         warps per CTA (2, 4, 8, 16 or 32; default 8); a tile is always 32 blocks, so
 *                     a warp owns 32 / SZX_WARPS of them
 *   SZX_MIN_CTAS      CTAs per SM the two compression kernels are built for (0: no bound, the
 *                     write kernel then takes ~75 registers; default 4: 64, and compression x1.08-1.11
 *                     at 25.9 MB and 256 MiB, H100, bench/cuda_sweep.py 2026-12-07)
 *   SZX_DEC_MIN_CTAS  the same for the decode kernel (default 0)
 * Each define given on the command line wins; the defaults are the one SZX_DEFAULTS line below, in
 * that order (bench/cuda_sweep.py prints the line of the variant it measured fastest). */
#define SZX_DEFAULTS 8, 4, 0
#define SZX_DEFAULT(pick) SZX_APPLY(pick, SZX_DEFAULTS)
#define SZX_APPLY(f, ...) f(__VA_ARGS__)
#define SZX_DEFAULT_WARPS(w, c, d) w
#define SZX_DEFAULT_MIN_CTAS(w, c, d) c
#define SZX_DEFAULT_DEC_MIN_CTAS(w, c, d) d
#ifndef SZX_WARPS
#define SZX_WARPS SZX_DEFAULT(SZX_DEFAULT_WARPS)
#endif
#ifndef SZX_MIN_CTAS
#define SZX_MIN_CTAS SZX_DEFAULT(SZX_DEFAULT_MIN_CTAS)
#endif
#ifndef SZX_DEC_MIN_CTAS
#define SZX_DEC_MIN_CTAS SZX_DEFAULT(SZX_DEFAULT_DEC_MIN_CTAS)
#endif

namespace {

constexpr int kBS = 128;                         // values per block (format constant here)
constexpr int kWarps = SZX_WARPS;
constexpr int kThreads = kWarps * 32;
constexpr int kTileBlocks = 32;                  // blocks per compression/decode tile (one per lane)
constexpr int kBlocksPerWarp = kTileBlocks / kWarps;
static_assert(kBlocksPerWarp * kWarps == kTileBlocks && kBlocksPerWarp >= 1, "SZX_WARPS divides 32");
constexpr int kIndexTile = kThreads;             // 256 blocks per index tile (one per thread)
constexpr int kMaxRecord = 1 + 4 + kBS / 4 + 4 * kBS;  // 549
constexpr int kHeaderBytes = 4 + 8 + 8;
constexpr uint32_t kFull = 0xffffffffu;
constexpr int kBytesBits = 36;                   // packed (count << 36 | bytes)
constexpr uint64_t kBytesMask = (1ull << kBytesBits) - 1;
constexpr uint64_t kValueMask = (1ull << 62) - 1;
constexpr uint64_t kStatusAggregate = 1, kStatusInclusive = 2;

struct DeviceState {   // reset (zeroed) at the start of every call
    uint32_t ticket;
    uint32_t pad;
    uint64_t totals;   // compression: non-constant count << 36 | record bytes
};

/* A compression's result, in mapped pinned host memory: the size kernel's last tile writes the totals
 * once its look-back has them, done last, and the host spins on that word. Copying the state back and
 * synchronizing the stream (until 2026-12-07) added a driver round trip's jitter to every call, about
 * 4 us of spread at any size (bench/readback_jitter.py); the host now also returns while the write
 * kernel runs (the caller reads the stream in stream order). */
struct HostResult {
    uint64_t totals;  // as DeviceState::totals
    uint32_t done;    // the call whose totals these are (written last; never 0)
    uint32_t pad;
};

// ---- Decoupled look-back over 64-bit flags [status:2][value:62], cleared before each call -----
__device__ __forceinline__ uint64_t load_flag(const uint64_t *p)
{
    uint64_t v;
    asm volatile("ld.relaxed.gpu.global.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ void store_flag(uint64_t *p, uint64_t status, uint64_t value)
{
    const uint64_t v = status << 62 | (value & kValueMask);
    asm volatile("st.relaxed.gpu.global.u64 [%0], %1;" ::"l"(p), "l"(v) : "memory");
}

/* Called by one whole warp: returns the exclusive prefix of tile (to every lane). */
__device__ uint64_t look_back(uint64_t *flags, uint32_t tile, uint64_t aggregate)
{
    const int lane = threadIdx.x & 31;
    if (tile == 0) {
        if (lane == 0)
            store_flag(&flags[0], kStatusInclusive, aggregate);
        return 0;
    }
    if (lane == 0)
        store_flag(&flags[tile], kStatusAggregate, aggregate);
    uint64_t exclusive = 0;
    int64_t window = (int64_t)tile - 1;
    while (true) {
        const int64_t idx = window - lane;
        uint64_t status = kStatusInclusive, value = 0;
        bool ready = idx < 0;
        while (!__all_sync(kFull, ready)) {
            if (!ready) {
                const uint64_t f = load_flag(&flags[idx]);
                if ((f >> 62) != 0) {
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
        store_flag(&flags[tile], kStatusInclusive, exclusive + aggregate);
    return exclusive;
}

// ---- Small helpers -------------------------------------------------------------------------------
__device__ __forceinline__ uint32_t flip_bytes_bits(uint32_t w)  // reverse the bits of each byte
{
    return __byte_perm(__brev(w), 0, 0x0123);
}

__device__ __forceinline__ uint32_t load_u32_unaligned(const uint8_t *base, uint32_t off)
{
    const uint32_t *w = reinterpret_cast<const uint32_t *>(base) + (off >> 2);
    return __funnelshift_r(w[0], w[1], 8 * (off & 3));
}

__device__ __forceinline__ uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bytes of v (low 0..3) that a value with this lead writes itself; the others are inherited. */
__device__ __forceinline__ uint32_t own_mask(uint32_t lead)
{
    return lead >= 4 ? 0u : 0xffffffffu >> (8 * lead);
}

/* Copy size bytes from shared stage to global dst with 16-byte aligned stores (whole CTA). */
__device__ void copy_out(uint8_t *dst, const uint8_t *stage, uint32_t size)
{
    const uint32_t head = min(size, (uint32_t)((16 - ((uintptr_t)dst & 15)) & 15));
    const uint32_t vecs = (size - head) / 16;
    for (uint32_t i = threadIdx.x; i < head; i += kThreads)
        dst[i] = stage[i];
    for (uint32_t v = threadIdx.x; v < vecs; v += kThreads) {
        const uint32_t s = head + 16 * v;
        uint4 q;
        q.x = load_u32_unaligned(stage, s);
        q.y = load_u32_unaligned(stage, s + 4);
        q.z = load_u32_unaligned(stage, s + 8);
        q.w = load_u32_unaligned(stage, s + 12);
        *reinterpret_cast<uint4 *>(dst + s) = q;
    }
    for (uint32_t i = head + 16 * vecs + threadIdx.x; i < size; i += kThreads)
        dst[i] = stage[i];
}

// ---- One block, as a warp sees it ----------------------------------------------------------------
struct Block {
    float x[4];          // this lane's values 4*lane .. 4*lane+3
    int count;           // values in the block (uniform)
};

__device__ __forceinline__ void load_block(const float *in, size_t n, size_t b, bool aligned,
                                           Block &blk)
{
    const int lane = threadIdx.x & 31;
    const size_t start = b * kBS;
    blk.count = n - start < (size_t)kBS ? (int)(n - start) : kBS;
    if (aligned && blk.count == kBS) {
        const float4 v = __ldcs(reinterpret_cast<const float4 *>(in + start) + lane);
        blk.x[0] = v.x, blk.x[1] = v.y, blk.x[2] = v.z, blk.x[3] = v.w;
    } else {
#pragma unroll
        for (int c = 0; c < 4; c++)
            blk.x[c] = 4 * lane + c < blk.count ? in[start + 4 * lane + c] : 0.0f;
    }
}

struct Coded {           // the encoding of one block (uniform fields, then this lane's share)
    bool nonconstant;
    int L;
    float median;
    uint32_t size;       // record bytes (non-constant blocks)
    uint32_t v[4];       // stream values of this lane's 4 values
    uint32_t codes;      // this lane's lead-code byte
    uint32_t mids;       // mid-bytes this lane emits
};

__device__ __forceinline__ void encode_block(const Block &blk, float eb, int eb_exp, Coded &c)
{
    const int lane = threadIdx.x & 31;
    bool nonfinite = false;
    float lo = INFINITY, hi = -INFINITY;
#pragma unroll
    for (int k = 0; k < 4; k++) {
        if (4 * lane + k < blk.count) {
            nonfinite |= !isfinite(blk.x[k]);
            lo = fminf(lo, blk.x[k]);
            hi = fmaxf(hi, blk.x[k]);
        }
    }
    nonfinite = __any_sync(kFull, nonfinite);
    for (int o = 16; o > 0; o >>= 1) {
        lo = fminf(lo, __shfl_xor_sync(kFull, lo, o));
        hi = fmaxf(hi, __shfl_xor_sync(kFull, hi, o));
    }
    c.L = 32;
    c.median = 0.0f;
    c.nonconstant = true;
    if (!nonfinite) {
        const float radius = __fmul_rn(__fsub_rn(hi, lo), 0.5f);
        c.median = __fadd_rn(lo, radius);
        if (radius <= eb) {
            c.nonconstant = false;
            c.size = 0;
            return;
        }
        int L = 10 + (int)((__float_as_uint(radius) >> 23) & 0xff) - 127 - eb_exp;
        if (L < 9)
            L = 9;
        if (L > 32) {
            L = 32;
            c.median = 0.0f;
        }
        c.L = L;
    }
    const int B = (c.L + 7) >> 3, s = 8 * B - c.L;
    const bool lossless = c.L == 32 && c.median == 0.0f;  // bits(x - 0) == bits(x), NaN kept
#pragma unroll
    for (int k = 0; k < 4; k++)
        c.v[k] = (lossless ? __float_as_uint(blk.x[k]) : __float_as_uint(__fsub_rn(blk.x[k], c.median))) >> s;
    uint32_t prev = __shfl_up_sync(kFull, c.v[3], 1);
    if (lane == 0)
        prev = 0;
    c.codes = 0;
    c.mids = 0;
#pragma unroll
    for (int k = 0; k < 4; k++) {
        if (4 * lane + k < blk.count) {
            const uint32_t lead = min((uint32_t)__clz(c.v[k] ^ prev) >> 3, 3u);
            c.codes |= lead << (6 - 2 * k);
            c.mids += B > (int)lead ? B - lead : 0;
        }
        prev = c.v[k];
    }
    c.size = 1 + 4 + (blk.count + 3) / 4 + __reduce_add_sync(kFull, c.mids);
}

// ---- Compression kernel 1: per-tile counts and a decoupled look-back ------------------------------
__global__ void __launch_bounds__(kThreads, SZX_MIN_CTAS)
    szx_size_kernel(const float *__restrict__ in, size_t n, size_t nblocks, float eb, int eb_exp,
                    DeviceState *state, uint64_t *flags, uint64_t *tile_prefix, uint32_t ntiles,
                    HostResult *host, uint32_t call)
{
    __shared__ uint32_t s_tile;
    __shared__ uint64_t s_warp[kWarps];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (threadIdx.x == 0)
        s_tile = atomicAdd(&state->ticket, 1u);
    __syncthreads();
    const uint32_t tile = s_tile;
    const bool aligned = ((uintptr_t)in & 15) == 0;
    const size_t first = (size_t)tile * kTileBlocks + warp * kBlocksPerWarp;

    Block blk[kBlocksPerWarp];
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++)
        if (first + j < nblocks)
            load_block(in, n, first + j, aligned, blk[j]);
    uint64_t packed = 0;
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++) {
        if (first + j < nblocks) {
            Coded c;
            encode_block(blk[j], eb, eb_exp, c);
            if (c.nonconstant)
                packed += 1ull << kBytesBits | c.size;
        }
    }
    if (lane == 0)
        s_warp[warp] = packed;
    __syncthreads();
    if (warp == 0) {
        uint64_t aggregate = 0;
        for (int w = 0; w < kWarps; w++)
            aggregate += s_warp[w];
        const uint64_t exclusive = look_back(flags, tile, aggregate);
        if (lane == 0) {
            tile_prefix[tile] = exclusive;
            if (tile == ntiles - 1) {
                state->totals = exclusive + aggregate;
                volatile HostResult *h = host;
                h->totals = exclusive + aggregate;
                __threadfence_system();
                h->done = call;
            }
        }
    }
}

struct Layout {          // byte offsets of the stream's sections
    size_t nonconstant, constant, bitmap, medians, records, total;
};

__device__ __host__ inline Layout layout(size_t nblocks, size_t nonconstant, size_t record_bytes)
{
    Layout l;
    l.nonconstant = nonconstant;
    l.constant = nblocks - nonconstant;
    l.bitmap = kHeaderBytes + 2 * nonconstant;
    l.medians = l.bitmap + (nblocks + 7) / 8;
    l.records = l.medians + 4 * l.constant;
    l.total = l.records + record_bytes;
    return l;
}

// ---- Compression kernel 2: encode and write everything --------------------------------------------
__global__ void __launch_bounds__(kThreads, SZX_MIN_CTAS)
    szx_write_kernel(const float *__restrict__ in, size_t n, size_t nblocks, float eb, int eb_exp,
                     uint8_t *__restrict__ out, size_t capacity, DeviceState *state,
                     const uint64_t *__restrict__ tile_prefix)
{
    __shared__ uint8_t s_nonconst[kTileBlocks];
    __shared__ uint32_t s_size[kTileBlocks], s_offset[kTileBlocks], s_rank[kTileBlocks];
    __shared__ uint32_t s_tile_bytes;
    __shared__ __align__(16) uint8_t s_stage[kTileBlocks * kMaxRecord + 32];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const uint32_t tile = blockIdx.x;
    const uint64_t totals = state->totals;
    const Layout lay = layout(nblocks, totals >> kBytesBits, totals & kBytesMask);
    if (lay.total > capacity)  // the host finds it from the totals
        return;
    const uint64_t prefix = tile_prefix[tile];
    const size_t tile_first = (size_t)tile * kTileBlocks;
    const size_t nonconst0 = prefix >> kBytesBits, bytes0 = prefix & kBytesMask;
    const size_t const0 = tile_first - nonconst0;
    const bool aligned = ((uintptr_t)in & 15) == 0;
    const size_t first = tile_first + warp * kBlocksPerWarp;

    // A: encode, keep this lane's share in registers and the block summary in shared memory.
    Block blk[kBlocksPerWarp];
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++)
        if (first + j < nblocks)
            load_block(in, n, first + j, aligned, blk[j]);
    Coded c[kBlocksPerWarp];
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++) {
        const int k = warp * kBlocksPerWarp + j;
        if (first + j < nblocks) {
            encode_block(blk[j], eb, eb_exp, c[j]);
            if (lane == 0) {
                s_nonconst[k] = c[j].nonconstant;
                s_size[k] = c[j].nonconstant ? c[j].size : 0;
            }
        } else if (lane == 0) {
            s_nonconst[k] = 2;  // past the end
            s_size[k] = 0;
        }
    }
    __syncthreads();

    // Tile-level ranks and record offsets (warp 0, one lane per block), and the bitmap bytes.
    if (warp == 0) {
        const uint32_t nc = s_nonconst[lane];
        const uint32_t lt = (1u << lane) - 1;
        const uint32_t nc_mask = __ballot_sync(kFull, nc == 1);
        const uint32_t c_mask = __ballot_sync(kFull, nc == 0);
        s_rank[lane] = nc == 1 ? __popc(nc_mask & lt) : __popc(c_mask & lt);
        uint32_t off = s_size[lane];
        for (int o = 1; o < 32; o <<= 1) {
            const uint32_t v = __shfl_up_sync(kFull, off, o);
            if (lane >= o)
                off += v;
        }
        s_offset[lane] = off - s_size[lane];
        if (lane == 31)
            s_tile_bytes = off;
        const uint32_t bits = flip_bytes_bits(nc_mask);  // block 8q+i -> byte q, bit 7-i
        const size_t byte_index = tile_first / 8 + lane;
        if (lane < kTileBlocks / 8 && byte_index < (nblocks + 7) / 8)
            out[lay.bitmap + byte_index] = (uint8_t)(bits >> (8 * lane));
    }
    __syncthreads();

    // B: write medians and sizes in place, records into the staging buffer.
#pragma unroll
    for (int j = 0; j < kBlocksPerWarp; j++) {
        const int k = warp * kBlocksPerWarp + j;
        if (first + j >= nblocks)
            continue;
        const uint32_t rank = s_rank[k];
        if (!c[j].nonconstant) {
            const uint32_t m = __float_as_uint(c[j].median);
            if (lane < 4)
                out[lay.medians + 4 * (const0 + rank) + lane] = (uint8_t)(m >> (24 - 8 * lane));
            continue;
        }
        const uint32_t size = c[j].size;
        if (lane < 2)
            out[kHeaderBytes + 2 * (nonconst0 + rank) + lane] = (uint8_t)(size >> (8 * lane));
        uint8_t *rec = s_stage + s_offset[k];
        const uint32_t m = __float_as_uint(c[j].median);
        if (lane == 0)
            rec[0] = (uint8_t)c[j].L;
        else if (lane < 5)
            rec[lane] = (uint8_t)(m >> (32 - 8 * lane));
        const int ncodes = (blk[j].count + 3) / 4;
        if (lane < ncodes)
            rec[5 + lane] = (uint8_t)c[j].codes;
        uint32_t pos = c[j].mids;  // exclusive scan of the mid-byte counts
        for (int o = 1; o < 32; o <<= 1) {
            const uint32_t v = __shfl_up_sync(kFull, pos, o);
            if (lane >= o)
                pos += v;
        }
        pos += 5 + ncodes - c[j].mids;
        const int B = (c[j].L + 7) >> 3;
#pragma unroll
        for (int v = 0; v < 4; v++) {
            if (4 * lane + v >= blk[j].count)
                break;
            const int lead = (c[j].codes >> (6 - 2 * v)) & 3;
            for (int byte = 4 - B; byte <= 3 - lead; byte++)
                rec[pos++] = (uint8_t)(c[j].v[v] >> (8 * byte));
        }
    }
    __syncthreads();
    copy_out(out + lay.records + bytes0, s_stage, s_tile_bytes);
    if (tile == 0 && threadIdx.x < kHeaderBytes) {
        const int i = threadIdx.x;
        uint8_t b;
        if (i < 4)
            b = 1;                                      // version 1.1, "1", random access
        else if (i < 12)
            b = i == 11 ? (uint8_t)kBS : 0;             // block size, u64 BE
        else
            b = (uint8_t)((uint64_t)lay.constant >> (8 * (19 - i)));  // nbConstant, u64 BE
        out[i] = b;
    }
}

// ---- Decompression kernel 1: per-block record offsets / constant ranks ---------------------------
__device__ __forceinline__ size_t read_constant_count(const uint8_t *in, size_t nblocks)
{
    uint64_t v = 0;
    for (int i = 12; i < 20; i++)
        v = v << 8 | in[i];
    return v > nblocks ? nblocks : (size_t)v;  // corrupt count: clamp
}

__global__ void __launch_bounds__(kThreads)
    szx_index_kernel(const uint8_t *__restrict__ in, size_t in_bytes, size_t nblocks,
                     DeviceState *state, uint64_t *flags_rank, uint64_t *flags_bytes,
                     uint64_t *meta)
{
    __shared__ uint32_t s_tile;
    __shared__ uint32_t s_warp[kWarps];
    __shared__ uint64_t s_base;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (threadIdx.x == 0)
        s_tile = atomicAdd(&state->ticket, 1u);
    __syncthreads();
    const uint32_t tile = s_tile;
    const size_t nonconst_total = nblocks - read_constant_count(in, nblocks);
    const Layout lay = layout(nblocks, nonconst_total, 0);
    const size_t b = (size_t)tile * kIndexTile + threadIdx.x;
    uint32_t st = 0;
    if (b < nblocks && lay.bitmap + b / 8 < in_bytes)
        st = (in[lay.bitmap + b / 8] >> (7 - (b & 7))) & 1;

    // Rank among the non-constant blocks.
    const uint32_t ballot = __ballot_sync(kFull, st);
    if (lane == 0)
        s_warp[warp] = __popc(ballot);
    __syncthreads();
    uint32_t rank_in = __popc(ballot & ((1u << lane) - 1)), tile_count = 0;
    for (int w = 0; w < kWarps; w++) {
        rank_in += w < warp ? s_warp[w] : 0;
        tile_count += s_warp[w];
    }
    if (warp == 0) {
        const uint64_t base = look_back(flags_rank, tile, tile_count);
        if (lane == 0)
            s_base = base;
    }
    __syncthreads();
    const size_t rank = s_base + rank_in;
    __syncthreads();  // s_base and s_warp are reused below

    // Record offset: scan of the record sizes.
    const size_t size_at = kHeaderBytes + 2 * rank;
    uint32_t size = 0;
    if (st && rank < nonconst_total && size_at + 1 < in_bytes)
        size = in[size_at] | (uint32_t)in[size_at + 1] << 8;
    uint32_t incl = size;
    for (int o = 1; o < 32; o <<= 1) {
        const uint32_t v = __shfl_up_sync(kFull, incl, o);
        if (lane >= o)
            incl += v;
    }
    if (lane == 31)
        s_warp[warp] = incl;
    __syncthreads();
    uint32_t off_in = incl - size, tile_bytes = 0;
    for (int w = 0; w < kWarps; w++) {
        off_in += w < warp ? s_warp[w] : 0;
        tile_bytes += s_warp[w];
    }
    if (warp == 0) {
        const uint64_t base = look_back(flags_bytes, tile, tile_bytes);
        if (lane == 0)
            s_base = base;
    }
    __syncthreads();
    if (b < nblocks)
        meta[b] = st ? 1ull << 63 | (s_base + off_in) << 16 | size : (uint64_t)(b - rank);
}

// ---- Decompression kernel 2: decode ------------------------------------------------------------
__global__ void __launch_bounds__(kThreads, SZX_DEC_MIN_CTAS)
    szx_decode_kernel(const uint8_t *__restrict__ in, size_t in_bytes, size_t n, size_t nblocks,
                      float *__restrict__ out, const uint64_t *__restrict__ meta)
{
    constexpr int kBuf = (kMaxRecord + 16 + 16 + 15) / 16 * 16;
    __shared__ __align__(16) uint8_t s_buf[kWarps][kBuf];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const size_t nonconst_total = nblocks - read_constant_count(in, nblocks);
    const Layout lay = layout(nblocks, nonconst_total, 0);
    const bool out_aligned = ((uintptr_t)out & 15) == 0;
    uint8_t *buf = s_buf[warp];

    for (int j = 0; j < kBlocksPerWarp; j++) {
        const size_t b = (size_t)blockIdx.x * kTileBlocks + warp * kBlocksPerWarp + j;
        if (b >= nblocks)
            break;
        const size_t start = b * kBS;
        const int count = n - start < (size_t)kBS ? (int)(n - start) : kBS;
        const uint64_t m = meta[b];
        float y[4];
        if (!(m >> 63)) {  // constant block: its median everywhere
            const size_t at = lay.medians + 4 * m;
            const float median = at + 4 <= in_bytes ? __uint_as_float(load_be32(in + at)) : 0.0f;
            y[0] = y[1] = y[2] = y[3] = median;
        } else {
            const size_t at = lay.records + ((m >> 16) & ((1ull << 47) - 1));
            uint32_t size = m & 0xffff;
            if (size > kMaxRecord || at + size > in_bytes)
                size = 0;  // corrupt: decode zeros
            // Stage the record with 16-byte loads.
            const uint8_t *src = in + at;
            const uint8_t *first = reinterpret_cast<const uint8_t *>((uintptr_t)src & ~(uintptr_t)15);
            const uint32_t shift = (uint32_t)(src - first);
            const uint32_t vecs = (shift + size + 15) / 16;
            const uint8_t *end = in + in_bytes;
            for (uint32_t v = lane; v < vecs; v += 32) {
                const uint8_t *p = first + 16 * v;
                if (p + 16 <= end) {
                    *reinterpret_cast<uint4 *>(buf + 16 * v) = __ldcs(reinterpret_cast<const uint4 *>(p));
                } else {
                    for (int k = 0; k < 16; k++)
                        buf[16 * v + k] = p + k < end ? p[k] : 0;
                }
            }
            __syncwarp();
            const uint8_t *rec = buf + shift;
            int L = size ? rec[0] : 32;
            L = L < 9 ? 9 : (L > 32 ? 32 : L);
            const float median = size ? __uint_as_float(load_be32(rec + 1)) : 0.0f;
            const int B = (L + 7) >> 3, s = 8 * B - L;
            const bool lossless = L == 32 && median == 0.0f;
            const int ncodes = (count + 3) / 4;
            const uint32_t codes = size && lane < ncodes ? rec[5 + lane] : 0;
            // This lane's mid-bytes, and the (inherited, value) summary of its 4 values.
            uint32_t lead[4], own[4], mids = 0;
#pragma unroll
            for (int v = 0; v < 4; v++) {
                lead[v] = (codes >> (6 - 2 * v)) & 3;
                const bool valid = 4 * lane + v < count;
                mids += valid && B > (int)lead[v] ? B - lead[v] : 0;
            }
            uint32_t pos = mids;
            for (int o = 1; o < 32; o <<= 1) {
                const uint32_t t = __shfl_up_sync(kFull, pos, o);
                if (lane >= o)
                    pos += t;
            }
            pos += 5 + ncodes - mids;
            uint32_t h = 4, val = 0;  // the lane's composite: inherits top h bytes, else val
#pragma unroll
            for (int v = 0; v < 4; v++) {
                own[v] = 0;
                if (4 * lane + v >= count)
                    continue;
                // Bytes 4-B .. 3-lead of v, low byte first: one unaligned 4-byte read of the
                // staged record, cut to the bytes this value owns (none past the record's end).
                const int take = min(B - (int)min(lead[v], 4u), (int)size - (int)pos);
                if (take > 0)
                    own[v] = (load_u32_unaligned(buf, shift + pos) & (0xffffffffu >> (32 - 8 * take)))
                             << (8 * (4 - B));
                pos += B > (int)lead[v] ? B - lead[v] : 0;
                val = (val & ~own_mask(lead[v])) | own[v];
                h = min(h, lead[v]);
            }
            // Warp scan of the composites: lane l learns the v just before its first value.
            uint32_t sh = h, sval = val;
            for (int o = 1; o < 32; o <<= 1) {
                const uint32_t ph = __shfl_up_sync(kFull, sh, o);
                const uint32_t pv = __shfl_up_sync(kFull, sval, o);
                if (lane >= o) {
                    sval = (pv & ~own_mask(sh)) | sval;
                    sh = min(ph, sh);
                }
            }
            uint32_t prev = __shfl_up_sync(kFull, sval, 1);
            if (lane == 0)
                prev = 0;
#pragma unroll
            for (int v = 0; v < 4; v++) {
                prev = (prev & ~own_mask(lead[v])) | own[v];
                y[v] = lossless ? __uint_as_float(prev) : __fadd_rn(__uint_as_float(prev << s), median);
            }
            __syncwarp();  // buf is reused by the next block
        }
        float *dst = out + start + 4 * lane;
        if (count == kBS && out_aligned) {
            __stcs(reinterpret_cast<float4 *>(dst), make_float4(y[0], y[1], y[2], y[3]));
        } else {
#pragma unroll
            for (int v = 0; v < 4; v++)
                if (4 * lane + v < count)
                    dst[v] = y[v];
        }
    }
}

// ---- Host side ------------------------------------------------------------------------------------
struct Scratch {
    int device = -1;
    cudaStream_t stream = nullptr;
    void *mem = nullptr;
    size_t tiles = 0, blocks = 0;  // capacity of the flag/prefix arrays and of the meta array
    DeviceState *state = nullptr;
    uint64_t *flags_a = nullptr, *flags_b = nullptr, *prefix = nullptr, *meta = nullptr;
    HostResult *host = nullptr;       // mapped pinned memory the size kernel's last tile fills
    HostResult *host_dev = nullptr;   // its device address
    uint32_t calls = 0;               // compression calls so far (the host copy's done word)
};

constexpr int kMaxScratch = 16;
std::mutex g_mutex;
Scratch g_scratch[kMaxScratch];

void release(Scratch &s)
{
    if (s.mem)
        cudaFree(s.mem);
    if (s.host)
        cudaFreeHost(s.host);
    s = Scratch();
}

Scratch *acquire(cudaStream_t stream, size_t tiles, size_t blocks)
{
    int device = 0;
    if (cudaGetDevice(&device) != cudaSuccess)
        return nullptr;
    Scratch *s = nullptr;
    for (auto &c : g_scratch)
        if (c.mem && c.device == device && c.stream == stream)
            s = &c;
    if (!s) {
        for (auto &c : g_scratch)
            if (!c.mem) {
                s = &c;
                break;
            }
        if (!s) {
            cudaDeviceSynchronize();
            release(g_scratch[0]);
            s = &g_scratch[0];
        }
    }
    if (s->mem && s->tiles >= tiles && s->blocks >= blocks)
        return s;
    if (s->mem) {
        cudaStreamSynchronize(stream);
        release(*s);
    }
    tiles = tiles < 1024 ? 1024 : tiles;
    blocks = blocks < 4096 ? 4096 : blocks;
    const size_t bytes = 64 + (3 * tiles + blocks) * sizeof(uint64_t);
    if (cudaMalloc(&s->mem, bytes) != cudaSuccess) {
        s->mem = nullptr;
        return nullptr;
    }
    if (cudaHostAlloc(reinterpret_cast<void **>(&s->host), sizeof(HostResult), cudaHostAllocMapped) !=
            cudaSuccess ||
        cudaHostGetDevicePointer(reinterpret_cast<void **>(&s->host_dev), s->host, 0) != cudaSuccess) {
        if (s->host)
            cudaFreeHost(s->host);
        cudaFree(s->mem);
        s->mem = nullptr;
        s->host = nullptr;
        return nullptr;
    }
    uint8_t *p = static_cast<uint8_t *>(s->mem);
    s->state = reinterpret_cast<DeviceState *>(p);
    s->flags_a = reinterpret_cast<uint64_t *>(p + 64);
    s->flags_b = s->flags_a + tiles;
    s->prefix = s->flags_b + tiles;
    s->meta = s->prefix + tiles;
    s->tiles = tiles;
    s->blocks = blocks;
    s->device = device;
    s->stream = stream;
    return s;
}

/* Clear the state (ticket, totals) and both look-back flag arrays. */
cudaError_t reset(Scratch &s)
{
    return cudaMemsetAsync(s.mem, 0, 64 + 2 * s.tiles * sizeof(uint64_t), s.stream);
}

int exponent_of(float eb)  // unbiased exponent of eb as a double, as SZx computes it
{
    uint64_t bits;
    const double d = eb;
    memcpy(&bits, &d, 8);
    return (int)((bits >> 52) & 0x7ff) - 1023;
}

/* Wait until the size kernel's last tile has filled the mapped host copy for this call: spin on its
 * done word, asking the stream now and then whether it failed or ended without it. */
bool wait_for_result(const Scratch &s, uint32_t call)
{
    for (uint32_t spin = 1;; spin++) {
        if (__atomic_load_n(&s.host->done, __ATOMIC_ACQUIRE) == call)
            return true;
        if (spin % 4096 == 0) {
            const cudaError_t state = cudaStreamQuery(s.stream);
            if (state == cudaSuccess)  // the stream is idle: the word is there now, or never will be
                return __atomic_load_n(&s.host->done, __ATOMIC_ACQUIRE) == call;
            if (state != cudaErrorNotReady)
                return false;
        }
    }
}

bool bad_args(const void *in, size_t n, float eb, const void *out)
{
    return in == nullptr || out == nullptr || n == 0 || !(eb > 0.0f) || isinf(eb) ||
           n >= (1ull << 32);
}

}  // namespace

extern "C" {

int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream_ptr)
{
    if (bad_args(in, n, eb, out) || out_bytes == nullptr)
        return SZ_ERR_ARGUMENT;
    const size_t nblocks = (n + kBS - 1) / kBS;
    const size_t ntiles = (nblocks + kTileBlocks - 1) / kTileBlocks;
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    std::lock_guard<std::mutex> lock(g_mutex);
    Scratch *s = acquire(stream, ntiles, 0);
    if (!s)
        return SZ_ERR_DEVICE;
    const int eb_exp = exponent_of(eb);
    const uint32_t call = ++s->calls ? s->calls : ++s->calls;  // never 0, the word's cleared value
    __atomic_store_n(&s->host->done, 0u, __ATOMIC_RELEASE);
    cudaError_t err = reset(*s);
    if (err == cudaSuccess) {
        szx_size_kernel<<<(unsigned)ntiles, kThreads, 0, stream>>>(
            in, n, nblocks, eb, eb_exp, s->state, s->flags_a, s->prefix, (uint32_t)ntiles, s->host_dev,
            call);
        szx_write_kernel<<<(unsigned)ntiles, kThreads, 0, stream>>>(
            in, n, nblocks, eb, eb_exp, out, out_capacity, s->state, s->prefix);
        err = cudaGetLastError();
    }
    if (err != cudaSuccess || !wait_for_result(*s, call)) {
        release(*s);
        return SZ_ERR_DEVICE;
    }
    const uint64_t totals = s->host->totals;
    const Layout lay = layout(nblocks, totals >> kBytesBits, totals & kBytesMask);
    if (lay.total > out_capacity)
        return SZ_ERR_CAPACITY;
    *out_bytes = lay.total;
    return SZ_OK;
}

int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out,
                  void *stream_ptr)
{
    if (bad_args(in, n, eb, out))
        return SZ_ERR_ARGUMENT;
    if (in_bytes < (size_t)kHeaderBytes)
        return SZ_ERR_FORMAT;
    const size_t nblocks = (n + kBS - 1) / kBS;
    const size_t index_tiles = (nblocks + kIndexTile - 1) / kIndexTile;
    const size_t decode_tiles = (nblocks + kTileBlocks - 1) / kTileBlocks;
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    std::lock_guard<std::mutex> lock(g_mutex);
    Scratch *s = acquire(stream, index_tiles, nblocks);
    if (!s)
        return SZ_ERR_DEVICE;
    cudaError_t err = reset(*s);
    if (err == cudaSuccess) {
        szx_index_kernel<<<(unsigned)index_tiles, kThreads, 0, stream>>>(
            in, in_bytes, nblocks, s->state, s->flags_a, s->flags_b, s->meta);
        szx_decode_kernel<<<(unsigned)decode_tiles, kThreads, 0, stream>>>(
            in, in_bytes, n, nblocks, out, s->meta);
        err = cudaGetLastError();
    }
    if (err != cudaSuccess) {
        release(*s);
        return SZ_ERR_DEVICE;
    }
    return SZ_OK;
}

}  // extern "C"
