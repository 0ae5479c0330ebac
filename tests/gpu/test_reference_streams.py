"""Every CUDA reference orders all of its work on the stream it is given, whatever kind it is.

The ABI says all work goes on the caller's cudaStream_t. cuSZp's entry point breaks that in one
place: it launches on the stream but reads the compressed size with a legacy-stream cudaMemcpy, so
on a non-blocking stream it returns a size read before the kernel wrote it. Here each reference
(SZp plain, SZp outlier, SZx) runs on a non-blocking stream, a blocking one, the legacy default
stream (handle 0) and the per-thread default stream (cudaStreamPerThread), and each call's input
is only made ready by a kernel that first spins for 20 ms on that same stream: work or reads
ordered on any other stream see the poisoned input, a stale size or an unfinished output. After
the call only that stream is synchronized, and the results are read on a fresh non-blocking
stream (ordered after nothing else). The size, the stream bytes and the decoded values must equal
a quiet run on a blocking stream with a device-wide synchronize. A negative control with exactly
cuSZp's bug class shows the check catches it. Needs a GPU, CuPy and nvcc (run with -m gpu).
"""

from __future__ import annotations

import ctypes
import subprocess
from dataclasses import dataclass

import numpy as np
import pytest

from test_cuda_references import bench, cp  # noqa: F401  (cp: the GPU, CuPy and nvcc skip fixture)

pytestmark = pytest.mark.gpu

REFERENCES = [v for v in bench.VARIANTS if v.source == "reference"]
KINDS = ("nonblocking", "blocking", "legacy", "per_thread")
SPIN_NS = 20_000_000  # how long the input-staging kernel spins before it copies

HELPER_CU = r"""
#include "sz_abi.h"
#include <cuda_runtime.h>

/* Spin for ns nanoseconds, then copy src to dst: the copy lands long after the launch returns. */
__global__ void spin_then_copy(const uint8_t *src, uint8_t *dst, size_t nbytes, unsigned long long ns)
{
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    do {
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    } while (t - t0 < ns);
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < nbytes; i += (size_t)gridDim.x * blockDim.x)
        dst[i] = src[i];
}

extern "C" int spin_copy(const void *src, void *dst, size_t nbytes, unsigned long long ns, void *stream)
{
    spin_then_copy<<<128, 256, 0, (cudaStream_t)stream>>>((const uint8_t *)src, (uint8_t *)dst, nbytes, ns);
    return (int)cudaGetLastError();
}

/* Negative control: a copying "codec" with cuSZp's entry bug. It launches on the stream, but its
 * size word is cleared and read back with legacy-stream calls (cudaMemset, cudaMemcpy). */
__global__ void copy_with_size(const float *in, size_t n, uint8_t *out, unsigned long long *size)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        reinterpret_cast<float *>(out)[i] = in[i];
    if (blockIdx.x == 0 && threadIdx.x == 0)
        *size = n * sizeof(float);
}

static unsigned long long *g_size = nullptr;

extern "C" int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap,
                           size_t *out_bytes, void *stream)
{
    if (!g_size && cudaMalloc(&g_size, sizeof *g_size) != cudaSuccess)
        return SZ_ERR_DEVICE;
    if (cap < n * sizeof(float))
        return SZ_ERR_CAPACITY;
    cudaMemset(g_size, 0, sizeof *g_size);
    copy_with_size<<<256, 256, 0, (cudaStream_t)stream>>>(in, n, out, g_size);
    unsigned long long size = 0;
    cudaMemcpy(&size, g_size, sizeof size, cudaMemcpyDeviceToHost);
    *out_bytes = size;
    return cudaGetLastError() == cudaSuccess ? SZ_OK : SZ_ERR_DEVICE;
}

extern "C" int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    if (in_bytes != n * sizeof(float))
        return SZ_ERR_FORMAT;
    return cudaMemcpyAsync(out, in, in_bytes, cudaMemcpyDeviceToDevice, (cudaStream_t)stream) ? SZ_ERR_DEVICE : SZ_OK;
}
"""


@dataclass(frozen=True)
class Expected:
    """A quiet run's results: what every stream kind must reproduce."""

    data: np.ndarray
    eb: float
    stream: bytes
    decoded: np.ndarray


def field() -> np.ndarray:
    """3,000,017 values: a smooth random walk with an all-zero stretch (rate-0 / constant blocks)."""
    rng = np.random.default_rng(16)
    x = (np.cumsum(rng.standard_normal(3_000_017)) * 0.01 + rng.standard_normal(3_000_017) * 1e-3).astype(np.float32)
    x[10_000:80_000] = 0.0
    return x


def make_stream(cupy, kind: str):
    if kind == "nonblocking":
        return cupy.cuda.Stream(non_blocking=True)
    if kind == "blocking":
        return cupy.cuda.Stream()
    return cupy.cuda.Stream.null if kind == "legacy" else cupy.cuda.Stream.ptds


def read(cupy, array, nbytes: int) -> bytes:
    """nbytes of a device array, copied on a fresh non-blocking stream (ordered after nothing else)."""
    reader = cupy.cuda.Stream(non_blocking=True)
    host = np.empty(nbytes, np.uint8)
    if nbytes:
        cupy.cuda.runtime.memcpyAsync(host.ctypes.data, array.data.ptr, nbytes,
                                      cupy.cuda.runtime.memcpyDeviceToHost, reader.ptr)
        reader.synchronize()
    return host.tobytes()


def staged(cupy, helper, host: np.ndarray, poison: int, stream):
    """A device copy of host that only becomes ready SPIN_NS after this call, on stream.

    Everything queued before (the caller's output poisoning too) is finished first; nothing may
    synchronize the device after this, or the race it sets up is gone."""
    src = cupy.asarray(host)
    dst = cupy.empty_like(src)
    dst.view(cupy.uint8).fill(poison)
    cupy.cuda.Device().synchronize()
    status = helper.spin_copy(ctypes.c_void_p(src.data.ptr), ctypes.c_void_p(dst.data.ptr), ctypes.c_size_t(src.nbytes),
                              ctypes.c_ulonglong(SPIN_NS), ctypes.c_void_p(stream.ptr))
    assert status == 0, f"spin_copy: CUDA error {status}"
    return src, dst


def compress_problems(cupy, helper, codec, kind: str, stream, want: Expected) -> list[str]:
    out = cupy.full(codec.capacity(want.data.size), 0xAB, cupy.uint8)
    _src, x = staged(cupy, helper, want.data, 0xFF, stream)  # poison: NaN floats
    status, nbytes = codec.compress(x, want.eb, out, stream)
    stream.synchronize()
    if status:
        return [f"{kind}: compress status {bench.STATUS.get(status, status)}"]
    if nbytes != len(want.stream):
        return [f"{kind}: compressed size {nbytes}, want {len(want.stream)}"]
    got = read(cupy, out, nbytes)
    return [] if got == want.stream else [f"{kind}: stream {bench.first_difference(got, want.stream)}"]


def decompress_problems(cupy, helper, codec, kind: str, stream, want: Expected) -> list[str]:
    y = cupy.full(want.data.size, cupy.nan, cupy.float32)  # poisoned: an unwritten value fails
    _src, data = staged(cupy, helper, np.frombuffer(want.stream, np.uint8), 0xCD, stream)
    status = codec.decompress(data, len(want.stream), want.data.size, want.eb, y, stream)
    stream.synchronize()
    if status:
        return [f"{kind}: decompress status {bench.STATUS.get(status, status)}"]
    got = np.frombuffer(read(cupy, y, y.nbytes), np.float32)
    ok, err = bench.within_bound(want.data, got, want.eb)
    problems = [] if ok else [f"{kind}: decoded values off the bound (max err {err:.3g}, eb {want.eb:.3g})"]
    if got.tobytes() != want.decoded.tobytes():
        problems.append(f"{kind}: decoded values differ from the quiet run's")
    return problems


def quiet_run(cupy, codec) -> Expected:
    """Compress and decompress on a blocking stream with a device-wide synchronize after each."""
    data = field()
    eb = float(np.float32(1e-3 * float(data.max() - data.min())))
    x = cupy.asarray(data)
    out = cupy.full(codec.capacity(data.size), 0xAB, cupy.uint8)
    stream = cupy.cuda.Stream()
    status, nbytes = codec.compress(x, eb, out, stream)
    cupy.cuda.Device().synchronize()
    assert status == 0, f"quiet compress status {status}"
    y = cupy.full(data.size, cupy.nan, cupy.float32)
    assert codec.decompress(out, nbytes, data.size, eb, y, stream) == 0
    cupy.cuda.Device().synchronize()
    decoded = cupy.asnumpy(y)
    ok, err = bench.within_bound(data, decoded, eb)
    assert ok, f"quiet round trip off the bound (max err {err:.3g})"
    return Expected(data, eb, cupy.asnumpy(out[:nbytes]).tobytes(), decoded)


def warm_up(cupy, codec, stream, want: Expected) -> None:
    """One call on the stream first: the library's per-stream scratch exists, so no first-call
    allocation (which may synchronize the device) can hide a missing ordering."""
    x = cupy.asarray(want.data)
    out = cupy.empty(codec.capacity(want.data.size), cupy.uint8)
    status, _ = codec.compress(x, want.eb, out, stream)
    stream.synchronize()
    assert status == 0, f"warm-up compress status {status}"


@pytest.fixture(scope="module")
def streams(cp):  # noqa: F811
    return {kind: make_stream(cp, kind) for kind in KINDS}


@pytest.fixture(scope="module")
def helper(cp, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp("stream-helper")
    (folder / "helper.cu").write_text(HELPER_CU)
    lib = folder / "libstream_helper.so"
    proc = subprocess.run(["nvcc", *bench.NVCC_FLAGS, str(folder / "helper.cu"), "-o", str(lib)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return ctypes.CDLL(str(lib)), bench.GpuCodec(lib, bench.Variant("szx", "legacy-size-read", "ra"))


@pytest.fixture(scope="module")
def references(cp, tmp_path_factory):  # noqa: F811
    built = bench.build_all(REFERENCES, tmp_path_factory.mktemp("stream-references"))
    codecs = {v.name: bench.GpuCodec(built[v][0], v) for v in REFERENCES}
    return {name: (codec, quiet_run(cp, codec)) for name, codec in codecs.items()}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", [v.name for v in REFERENCES])
def test_reference_keeps_all_work_on_the_given_stream(cp, helper, references, streams, name, kind):  # noqa: F811
    codec, want = references[name]
    warm_up(cp, codec, streams[kind], want)
    problems = compress_problems(cp, helper[0], codec, kind, streams[kind], want)
    problems += decompress_problems(cp, helper[0], codec, kind, streams[kind], want)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_the_check_catches_a_size_read_on_the_legacy_stream(cp, helper, streams):  # noqa: F811
    """cuSZp's bug class: right on a blocking stream (the legacy stream waits for it), a stale size on
    a non-blocking one, because the legacy read does not wait for the spinning kernel."""
    lib, control = helper
    want = quiet_run(cp, control)
    assert want.stream == want.data.tobytes()
    assert compress_problems(cp, lib, control, "blocking", streams["blocking"], want) == []
    problems = compress_problems(cp, lib, control, "nonblocking", streams["nonblocking"], want)
    assert problems and "compressed size 0" in problems[0], problems
