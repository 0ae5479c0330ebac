"""A seccomp filter for sandboxed trees: no kernel keyrings.

Keyrings are kept per uid by the kernel, not per mount or pid namespace, and the sandbox's private
uids are reused from a pool: a key one sandbox added was readable by a later one with that uid (a
red-team kernel passed data between runs this way). The filter makes `add_key`, `request_key` and
`keyctl` fail with EPERM, and refuses every syscall of another ABI (i386 or x32 on x86-64), through
which the same calls would be reached under other numbers. bwrap loads it (`--seccomp FD`).
"""

from __future__ import annotations

import os
import platform
import struct

__all__ = ["keyring_filter", "filter_fd"]

_ARCH = {"x86_64": (0xC000003E, (248, 249, 250)), "aarch64": (0xC00000B7, (217, 218, 219))}
_LD_ABS, _JEQ, _JSET, _RET = 0x20, 0x15, 0x45, 0x06
_ALLOW, _EPERM = 0x7FFF0000, 0x00050000 | 1
_X32_BIT = 0x40000000


def keyring_filter(machine: str | None = None) -> bytes | None:
    """The classic-BPF program (struct sock_filter[]) for this machine's ABI; None where it is unknown."""
    arch, numbers = _ARCH.get(machine or platform.machine(), (None, ()))
    if arch is None:
        return None
    program = [
        (_LD_ABS, 0, 0, 4),        # seccomp_data.arch
        (_JEQ, 1, 0, arch),        # the native ABI: go on; anything else: EPERM
        (_RET, 0, 0, _EPERM),
        (_LD_ABS, 0, 0, 0),        # seccomp_data.nr
        (_JSET, 4, 0, _X32_BIT),   # x32 numbers: EPERM
        (_JEQ, 3, 0, numbers[0]),  # add_key
        (_JEQ, 2, 0, numbers[1]),  # request_key
        (_JEQ, 1, 0, numbers[2]),  # keyctl
        (_RET, 0, 0, _ALLOW),
        (_RET, 0, 0, _EPERM),
    ]
    return b"".join(struct.pack("=HBBI", *op) for op in program)


def filter_fd() -> int | None:
    """A descriptor bwrap can read the filter from (the caller closes it); None where no filter exists."""
    program = keyring_filter()
    if program is None:
        return None
    fd = os.memfd_create("szagents-seccomp", 0)
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
