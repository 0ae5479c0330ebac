"""Which device a runner child gets, imported before its kernel library is loaded."""

from __future__ import annotations

from typing import Any

from szagents.backends.child.device import HostDevice

__all__ = ["make_device"]


def make_device(name: str, role: str) -> Any:
    """cpu: raw host memory (standard library only), or numpy's arrays to diagnose; cuda: CuPy."""
    if name == "cpu":
        if role != "diagnose":
            return HostDevice()
        from szagents.backends.child.diagnosis import HostArrays

        return HostArrays()
    from szagents.backends.child.cuda_device import CudaDevice

    return CudaDevice()
