"""How a line crosses the control socket, both ways: packets of at most CHUNK bytes on a SOCK_SEQPACKET pair.

A packet must fit the socket buffer, and a read of a packet never returns part of it: both ends send in
CHUNK-sized pieces and read with buffers of PACKET bytes, then reassemble lines.
"""

from __future__ import annotations

import socket

__all__ = ["CHUNK", "PACKET", "send_line"]

CHUNK = 32 << 10  # bytes per packet
PACKET = 1 << 16  # a read buffer larger than any packet


def send_line(sock: socket.socket, line: bytes) -> None:
    """One line in packets of at most CHUNK bytes."""
    for at in range(0, len(line), CHUNK):
        sock.sendall(line[at:at + CHUNK])
