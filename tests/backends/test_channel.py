"""The parent's end of the control socket: lines in order, waits bounded by the child's deadline, awake or asleep."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from szagents.backends.harness.channel import Channel, ChildGone


@pytest.mark.parametrize("spin", [False, True])
def test_a_message_sent_later_arrives_whole_in_order(spin):
    """A line split across two writes, sent while the parent waits, is read whole; the next one after it."""
    parent, child = socket.socketpair()
    ch = Channel(parent, time.perf_counter() + 30)
    writer = threading.Timer(0.05, lambda: (child.sendall(b'{"done": 1, "sec'), child.sendall(b'onds": 2}\n{"x": 3}\n')))
    writer.start()
    assert ch.expect("done", spin) == {"done": 1, "seconds": 2}
    assert ch.receive(spin) == {"x": 3}
    writer.join()
    parent.close(), child.close()


@pytest.mark.parametrize("spin", [False, True])
def test_a_silent_child_times_out_at_its_deadline(spin):
    """Nothing sent: the wait ends at the deadline as a timeout, spinning or not."""
    parent, child = socket.socketpair()
    ch = Channel(parent, time.perf_counter() + 0.2)
    with pytest.raises(ChildGone) as gone:
        ch.expect("done", spin)
    assert gone.value.timed_out
    parent.close(), child.close()


@pytest.mark.parametrize("spin", [False, True])
def test_a_child_that_hangs_up_is_gone_not_timed_out(spin):
    parent, child = socket.socketpair()
    ch = Channel(parent, time.perf_counter() + 30)
    child.close()
    with pytest.raises(ChildGone) as gone:
        ch.receive(spin)
    assert not gone.value.timed_out
    parent.close()
