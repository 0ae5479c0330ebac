"""Provider faults are classified from real client exceptions (openai SDK against a loopback server)."""

from __future__ import annotations

import pytest

from szagents.models import make_model
from szagents.models.faults import classify

from .loopback import Fault, chat_completion_body, serve_loopback

ERROR = {"error": {"message": "no", "type": "x"}}


@pytest.mark.parametrize("answer,expected", [
    ((401, ERROR, {}), "auth"), ((404, ERROR, {}), "model_not_found"), ((400, ERROR, {}), "bad_request"),
    ((429, ERROR, {"retry-after": "3"}), "rate_limit"), ((502, ERROR, {}), "server"),
    (Fault("malformed"), "bad_response"), ((200, {**chat_completion_body("m"), "choices": []}, {}), "bad_response"),
    (Fault("drop"), "network"), (Fault("hang"), "timeout"),
])
def test_client_exception_is_classified(answer, expected):
    """Each server behaviour raises a client exception that classify() maps to its class."""
    with serve_loopback() as server:
        server.queued.append(answer)
        with pytest.raises(Exception) as caught:
            make_model("openai:m", base_url=server.url, max_retries=0, timeout=0.5).invoke("hi")
    fault = classify(caught.value)
    assert fault.error_class == expected
    assert fault.retry_after_s == (3.0 if expected == "rate_limit" else None)
