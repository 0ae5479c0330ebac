"""The typed messages between the harness parent and its child: each crosses JSON unchanged, and whatever is not
exactly one of them is refused on receipt, by the parent as a broken protocol and by the child as a fault."""

from __future__ import annotations

import json
import socket
import time

import pytest

from szagents.backends.child import runner
from szagents.backends.child.claims import (AbiError, CallReport, Described, Diagnosed, DiagnosisClaim, Done, Fault,
                                            Finished, Loaded, Machine, OffClock, OffClockWork, Progress, Ready, Stored,
                                            Trace, Validated, Warm, parse_claim)
from szagents.backends.child.orders import (ArenaLayout, BenchCase, CaseLayout, DiagnoseSpec, Go, Null, Regions,
                                            Repetitions, Request, StartBench)
from szagents.backends.child.schema import MessageError
from szagents.backends.child.wire import send_line
from szagents.backends.harness.channel import Channel, ChildFault, ProtocolBreak, control_pair

MARKS = [1.0, 1.5, 2.0, 2.5]
DONE = {"done": 3, "seconds": 2e-05, "status": 0, "marks": MARKS, "out_bytes": 40, "token": "ab12"}
LAYOUT = ArenaLayout(8192, {"c0r0src": (0, 400), "c0r0dst": (4096, 500)})
CLAIMS = [
    Progress("case", "climate"), Progress("compress"), Fault("Traceback ..."), AbiError("undefined symbol"), Loaded(),
    Done(**DONE), Done(0, 1e-06, 0, MARKS), CallReport("compress", "climate", 1, 0, 123, True),
    Described(Machine("H100", 132, None, 3000.5)), Described(Machine()), Warm([1e-05, 2e-05], 0, 77), Ready(12),
    Stored(12, Trace("cupti", [1e-05] * 2, OffClock(1, 2e-06, [OffClockWork("kernel", 7, 1, 0, 2e-06, 1e-05, 1)]),
                     None, 40)),
    Stored(3, Trace("events", reason="cupti-python is not importable")), Stored(3),
    Diagnosed(DiagnosisClaim("cheat_detected", "reads its input")), Diagnosed(DiagnosisClaim(None, "")), Validated(),
    Finished(),
]
ORDERS = [
    Request("compress", "cpu", "float32", LAYOUT, [CaseLayout("climate", 100, 0.001, 500,
                                                              [Regions("c0r0src", "c0r0dst", after="c0r0after")])],
            [BenchCase(Regions("b0src", "b0dst"), 100, 0.001, 500, 3, 0.5, 0.05)]),
    Request("diagnose", "cuda", "float64", LAYOUT, diagnose=DiagnoseSpec("data", 100, 0.5, 900, "climate")),
    Null(0), Null(5, 32), Null(None), StartBench(False), Repetitions([Regions("b0r0src", "b0r0dst", 40)], LAYOUT),
    Go(4, "ab12", 32), Go(None),
]


def _wire(message):
    return json.loads(json.dumps(message.to_wire()))


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda m: type(m).__name__)
def test_every_claim_crosses_json_unchanged(claim):
    """What the child writes, the parent reads back as the same typed claim (a field one side forgets fails)."""
    assert parse_claim(_wire(claim)) == claim


@pytest.mark.parametrize("order", ORDERS, ids=lambda m: type(m).__name__)
def test_every_order_crosses_json_unchanged(order):
    """What the parent writes, the child reads back as the same typed order (region extents as (offset, bytes))."""
    assert type(order).from_wire(_wire(order)) == order


FORGED = {
    "a bool for an int": {**DONE, "status": True},
    "a string for a number": {**DONE, "seconds": "2e-05"},
    "a missing field": {k: v for k, v in DONE.items() if k != "status"},
    "an extra field": {**DONE, "verdict": "ok"},
    "three marks": {**DONE, "marks": MARKS[:3]},
    "a mark that is no number": {**DONE, "marks": [1.0, None, 2.0, 3.0]},
    "no kind at all": {"result": {"verdict": "ok"}},
    "the kind's key not first": {"seconds": 2e-05, **DONE},
    "two kinds in one": {"validated": True, "finished": True},
    "a flag that is not true": {"loaded": 1},
    "not an object": [DONE],
    "an empty object": {},
    "a trace of the wrong shape": {"stored": 3, "trace": {"source": "cupti", "spans": "all fast"}},
    "a machine with a forged field": {"environment": {"device": "H100", "verdict": "ok"}},
    "a call without its round": {"call": "compress", "status": 0, "out_bytes": 1, "settled": True},
}


@pytest.mark.parametrize("data", FORGED.values(), ids=FORGED.keys())
def test_a_forged_or_malformed_claim_is_refused(data):
    """Only exactly the protocol's claims parse: a kernel that writes its own lines to the socket gets a refusal."""
    with pytest.raises(MessageError):
        parse_claim(data)


def _channel():
    parent, child = control_pair()
    return Channel(parent, time.perf_counter() + 30), parent, child


@pytest.mark.parametrize("data", FORGED.values(), ids=FORGED.keys())
def test_the_parent_turns_a_malformed_claim_into_a_protocol_break(data):
    """On the parent's socket the same lines end the conversation as a ProtocolBreak (classified `crash`), never
    as another exception or a number read from them."""
    ch, parent, child = _channel()
    send_line(child, (json.dumps(data) + "\n").encode())
    with pytest.raises(ProtocolBreak):
        ch.expect(Done)
    parent.close(), child.close()


def test_a_claim_of_the_wrong_kind_breaks_the_protocol_progress_is_kept_and_a_fault_is_a_fault():
    """A well-formed claim the protocol does not expect now is a break; progress only marks where the child is."""
    ch, parent, child = _channel()
    for claim in (Progress("case", "climate"), Progress("compress"), Ready(3), Fault("CUDA error: illegal address")):
        send_line(child, (json.dumps(claim.to_wire()) + "\n").encode())
    with pytest.raises(ProtocolBreak, match="expected Done, got Ready"):
        ch.expect(Done)
    assert ch.phase == "compress of climate"
    with pytest.raises(ChildFault, match="illegal address"):
        ch.receive()
    parent.close(), child.close()


@pytest.mark.parametrize("go", [{"go": 1, "batch": 65}, {"go": True}, {"go": 1, "token": 5}, {"go": 1, "x": 0},
                                {"null": 0}, '{"go": 1'])
def test_the_child_refuses_an_order_it_does_not_expect(go):
    """The child checks the parent's orders too: a batch past the cap, a bool, a wrong token type, a stray field,
    another order, or broken JSON raises in the child (which reports a fault) rather than running something."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    channel = runner._Channel(theirs.detach())
    send_line(ours, ((go if isinstance(go, str) else json.dumps(go)) + "\n").encode())
    with pytest.raises(ValueError):
        channel.receive(Go)
    ours.close()
