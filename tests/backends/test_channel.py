"""The parent's end of the control socket: lines in order, waits bounded by the child's deadline, awake or asleep."""

from __future__ import annotations

import threading
import time

import pytest

from szagents.backends.child.claims import Done, Progress, Ready
from szagents.backends.child.wire import CHUNK, send_line
from szagents.backends.harness.channel import Channel, ChildGone, control_pair

DONE = b'{"done": 1, "seconds": 2, "status": 0, "marks": [1, 2, 3, 4]}\n'


@pytest.mark.parametrize("spin", [False, True])
def test_a_message_sent_later_arrives_whole_in_order(spin):
    """A line split across two writes, sent while the parent waits, is read whole; the next one after it."""
    parent, child = control_pair()
    ch = Channel(parent, time.perf_counter() + 30)
    writer = threading.Timer(0.05, lambda: (child.sendall(DONE[:15]), child.sendall(DONE[15:] + b'{"ready": 3}\n')))
    writer.start()
    assert ch.expect(Done, spin) == Done(1, 2, 0, [1, 2, 3, 4])
    assert ch.receive(spin) == Ready(3)
    writer.join()
    parent.close(), child.close()


@pytest.mark.parametrize("spin", [False, True])
def test_a_silent_child_times_out_at_its_deadline(spin):
    """Nothing sent: the wait ends at the deadline as a timeout, spinning or not."""
    parent, child = control_pair()
    ch = Channel(parent, time.perf_counter() + 0.2)
    with pytest.raises(ChildGone) as gone:
        ch.expect(Done, spin)
    assert gone.value.timed_out
    parent.close(), child.close()


@pytest.mark.parametrize("spin", [False, True])
def test_a_child_that_hangs_up_is_gone_not_timed_out(spin):
    parent, child = control_pair()
    ch = Channel(parent, time.perf_counter() + 30)
    child.close()
    with pytest.raises(ChildGone) as gone:
        ch.receive(spin)
    assert not gone.value.timed_out
    parent.close()


def test_a_message_carries_the_time_it_left_the_child_not_the_time_it_was_read():
    """The parent reads a `done` 200 ms after it was sent: the channel's stamp is the sending (the kernel's
    timestamp of the packet), so the parent's own lateness is not charged to the child."""
    parent, child = control_pair()
    ch = Channel(parent, time.perf_counter() + 30)
    sent = time.time()
    child.sendall(DONE)
    time.sleep(0.2)
    assert ch.expect(Done).done == 1
    assert ch.stamp is not None and sent - 0.01 <= ch.stamp <= sent + 0.1 < time.time() - 0.05
    parent.close(), child.close()


def test_long_lines_cross_in_packets_and_take_the_stamp_of_their_last():
    """A line of several CHUNKs is reassembled whole; its stamp is when its last packet left; a short line
    in the same read keeps its own."""
    parent, child = control_pair()
    ch = Channel(parent, time.perf_counter() + 30)
    payload = "y" * (3 * CHUNK + 17)
    send_line(child, f'{{"abi_error": "{payload[:CHUNK]}'.encode())
    time.sleep(0.1)
    before_last = time.time()
    send_line(child, f'{payload[CHUNK:]}"}}\n{{"ready": 1}}\n'.encode())
    message = ch.receive()
    assert message.abi_error == payload
    assert ch.stamp is not None and ch.stamp >= before_last - 0.005
    assert ch.receive() == Ready(1) and ch.stamp >= before_last - 0.005
    parent.close(), child.close()
