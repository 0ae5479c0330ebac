"""The profile hook: backend hook first, ncu for cuda, a clear message where nothing profiles."""

from __future__ import annotations

from dataclasses import replace

from szagents.backends.sandbox import Limits
from szagents.tools import NcuProfiler, find_profiler, make_tools
from szagents.tools.profiling import MARKER, summarize_ncu

NCU_CSV = "\n".join([
    '==PROF== Connected to process 1',
    '"ID","Process ID","Process Name","Host Name","Kernel Name","Block Size","Grid Size","gpu__time_duration.sum",'
    '"dram__throughput.avg.pct_of_peak_sustained_elapsed","sm__throughput.avg.pct_of_peak_sustained_elapsed",'
    '"sm__warps_active.avg.pct_of_peak_sustained_active","launch__registers_per_thread"',
    '"","","","","","","","usecond","%","%","%","register/thread"',
    '"0","1","python","h","void encode<float>(const float *, int)","(256, 1, 1)","(100, 1, 1)","30.50","80.1","20.0","60.0","32"',
    '"1","1","python","h","scan(int *)","(256, 1, 1)","(1, 1, 1)","9.50","1.0","1.0","5.0","16"',
    f'"2","1","python","h","{MARKER}","(1, 1, 1)","(1, 1, 1)","1.00","0","0","0","2"',
    '"3","1","python","h","decode(float *)","(256, 1, 1)","(100, 1, 1)","40.00","90.0","25.0","70.0","40"',
])


class HookedBackend:
    """A backend wrapper that brings its own profile hook."""

    def __init__(self, inner):
        self.inner, self.name = inner, inner.name

    def __getattr__(self, attr):
        return getattr(self.inner, attr)

    def profile(self, build, spec, problem, workdir):
        return f"hooked profile of {problem.dataset} ({'ok' if build.ok else 'broken'})"


def test_summarize_ncu_splits_phases_at_the_marker():
    """Kernels before the marker are compression, after it decompression; time shares add up."""
    text = summarize_ncu(NCU_CSV)
    rows = {line.split()[1]: line.split() for line in text.splitlines()[1:] if line.startswith(("compress", "decompress"))}
    assert rows["encode<float>"][0] == "compress" and rows["decode"][0] == "decompress"
    assert MARKER not in text and "total GPU time 80.0 us" in text


def test_ncu_missing_says_not_available(cpu_ctx):
    """Without ncu the profiler says so instead of failing."""
    out = NcuProfiler(Limits(), executable=None).profile(None, cpu_ctx.spec, cpu_ctx.validation_problems[0], cpu_ctx.workdir)
    assert "not available here" in out and "ncu" in out


def test_backend_hook_is_used_first(cpu_ctx):
    """A backend that defines profile() is profiled through it, after a compile."""
    ctx = replace(cpu_ctx, backend=HookedBackend(cpu_ctx.backend))
    assert find_profiler(ctx) is ctx.backend
    tool = next(t for t in make_tools(ctx) if t.name == "profile")
    assert tool.invoke({}) == "hooked profile of climate:90x180@rel=0.001 (ok)"
