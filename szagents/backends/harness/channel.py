"""The parent's end of an untrusted child's control socket: typed messages in JSON lines, capped, with a deadline.

The socket is a SOCK_SEQPACKET pair: every packet the child sends carries the kernel's timestamp of
the moment it was sent (SO_TIMESTAMPNS), so the parent knows when a `done` left the child without
counting the time the parent itself took to wake and read it. Lines travel in packets
(child/wire.py) and are reassembled here.

Whatever arrives is a claim. Each line is checked on receipt (child/claims.py): a line that is too long, not
JSON, not one of the protocol's messages with exactly its fields, or not the message the protocol expects next
ends the conversation as a ProtocolBreak, which the parent classifies; it never raises past it.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import time
from typing import TypeVar

from szagents.backends.child.claims import Claim, Fault, Progress, parse_claim
from szagents.backends.child.schema import Message, MessageError
from szagents.backends.child.wire import PACKET, send_line

__all__ = ["Channel", "ProtocolBreak", "ChildGone", "ChildFault", "control_pair"]

_MAX_LINE = 1 << 20
_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python names it from 3.14 on
C = TypeVar("C", bound=Message)


def control_pair() -> tuple[socket.socket, socket.socket]:
    """(parent end, child end) of a control socket whose packets the parent receives timestamped."""
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    parent.setsockopt(socket.SOL_SOCKET, _TIMESTAMPNS, 1)
    return parent, child


class ProtocolBreak(Exception):
    """The child said something the protocol does not allow."""


class ChildFault(Exception):
    """The child reported a fault (a device error, an exception in the runner) and stopped."""


class ChildGone(Exception):
    """The child closed its end (exited, crashed or was killed) or the deadline passed."""

    def __init__(self, timed_out: bool) -> None:
        super().__init__("deadline passed" if timed_out else "child closed the channel")
        self.timed_out = timed_out


class Channel:
    """Typed messages to and from one child, every read bounded by the child's deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline
        self._buffer = bytearray()
        self._ends: list[tuple[int, float | None]] = []  # per packet read: buffer length after it, its send time
        self.stamp: float | None = None  # when the last message received left the child (CLOCK_REALTIME, s)
        self._stamped = sock.type == socket.SOCK_SEQPACKET
        self.step: str | None = None  # the last progress the child reported (where it crashed or hung)
        self.dataset: str | None = None

    @property
    def phase(self) -> str | None:
        """'compress of climate@rel=0.001': the step and the dataset the child last reported."""
        if self.step and self.dataset:
            return f"{self.step} of {self.dataset}"
        return self.step or (f"case {self.dataset}" if self.dataset else None)

    def send(self, order: Message) -> None:
        try:
            send_line(self.sock, (json.dumps(order.to_wire()) + "\n").encode())
        except OSError:
            raise ChildGone(timed_out=False) from None

    def pending(self) -> bool:
        """Has the child sent anything not yet read (a line waiting in the buffer or on the socket)?"""
        return bool(self._buffer) or bool(select.select([self.sock], [], [], 0)[0])

    def receive(self, spin: bool = False) -> Claim:
        """The next message that is not a progress report."""
        while True:
            message = self._line(spin)
            if isinstance(message, Progress):
                if message.progress == "case":
                    self.step, self.dataset = None, str(message.dataset)[:120]
                else:
                    self.step = message.progress[:80]
                continue
            if isinstance(message, Fault):
                raise ChildFault(message.fault[-1500:])
            return message

    def expect(self, kind: type[C], spin: bool = False) -> C:
        """The next message, which must be a kind. spin: poll without sleeping (a timed wait: a sleeping parent
        wakes tens of microseconds late, and unevenly)."""
        message = self.receive(spin)
        if not isinstance(message, kind):
            raise ProtocolBreak(f"expected {kind.__name__}, got {type(message).__name__}")
        return message

    def _line(self, spin: bool = False) -> Claim:
        line = self._next_line(spin)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, an integer past the digit limit, deep nesting
            raise ProtocolBreak("a message that is not JSON the parent can read") from None
        try:
            return parse_claim(message)
        except MessageError as exc:
            raise ProtocolBreak(str(exc)[:300]) from None

    def _next_line(self, spin: bool) -> bytes:
        """The next line without its newline; self.stamp: when the packet that ended it left the child."""
        while b"\n" not in self._buffer:
            chunk, stamp = self._packet(spin)
            if not self._buffer and chunk.find(b"\n") == len(chunk) - 1:  # most often: one packet, one line
                self.stamp = stamp
                return chunk[:-1]
            self._buffer += chunk
            self._ends.append((len(self._buffer), stamp))
            if len(self._buffer) > _MAX_LINE and b"\n" not in self._buffer:
                raise ProtocolBreak("a message longer than 1 MiB")
        line, _, rest = bytes(self._buffer).partition(b"\n")
        used = len(line) + 1
        self.stamp = next(stamp for end, stamp in self._ends if end >= used)  # the packet that ended the line
        self._ends = [(end - used, stamp) for end, stamp in self._ends if end > used]
        self._buffer = bytearray(rest)
        return line

    def _packet(self, spin: bool) -> tuple[bytes, float | None]:
        """The next packet and its stamp, waiting at most until the deadline (ChildGone: none, or the end)."""
        while True:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise ChildGone(timed_out=True)
            ready, _, _ = select.select([self.sock], [], [], 0 if spin else left)
            if ready:
                break
            if not spin:
                raise ChildGone(timed_out=True)
        chunk, stamp = self._read()
        if not chunk:
            raise ChildGone(timed_out=False)
        return chunk, stamp

    def _read(self) -> tuple[bytes, float | None]:
        """One packet and the kernel's time of its sending (None on a stream socket or without a stamp)."""
        try:
            if not self._stamped:
                return self.sock.recv(PACKET), None
            chunk, ancillary, _, _ = self.sock.recvmsg(PACKET, socket.CMSG_SPACE(16))
        except OSError:
            return b"", None
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == _TIMESTAMPNS and len(data) >= 16:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                return chunk, seconds + nanoseconds / 1e9
        return chunk, None
