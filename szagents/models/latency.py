"""`latency:<seconds>:<spec>`: any model, answering after a delay like a remote LLM (studies, benchmarks).

`latency:2:scripted:demo` plays the demo script and sleeps 2 s before each reply;
`latency:0.2-2:scripted:demo` sleeps between 0.2 and 2 s, the same delay for the same request
(drawn from a hash of the conversation), so a study of such models is reproducible. Registered as
the `latency` model provider (entry point group `szagents.models`).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Sequence

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from szagents.errors import ModelConfigError
from szagents.models.registry import make_model

__all__ = ["LatencyModel", "make_latency", "parse_delay"]


def parse_delay(text: str) -> tuple[float, float]:
    """'2' -> (2, 2); '0.2-2' -> (0.2, 2); raise ModelConfigError on anything else."""
    low, _, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        bounds = (-1.0, -1.0)
    if not 0 <= bounds[0] <= bounds[1]:
        raise ModelConfigError(f"latency {text!r}: give seconds or a range, e.g. latency:2:scripted:demo "
                               "or latency:0.2-2:scripted:demo")
    return bounds


class LatencyModel(BaseChatModel):
    """Wraps a chat model; sleeps (low..high seconds, by request hash) before each reply."""

    inner: BaseChatModel
    low_seconds: float
    high_seconds: float

    @property
    def _llm_type(self) -> str:
        return "szagents-latency"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any) -> Any:
        """Bind tools in OpenAI format (what the wrapped scripted and OpenAI models accept)."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def delay_seconds(self, messages: Sequence[BaseMessage]) -> float:
        """The delay for this request: a fixed point of [low, high] drawn from the messages' hash."""
        digest = hashlib.sha256("".join(str(m.content) for m in messages).encode()).digest()
        fraction = int.from_bytes(digest[:8], "big") / 2**64
        return self.low_seconds + fraction * (self.high_seconds - self.low_seconds)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        """Sleep, then answer as the wrapped model would."""
        time.sleep(self.delay_seconds(messages))
        return self.inner._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


def make_latency(model: str, **options: Any) -> LatencyModel:
    """Factory for 'latency:<seconds or low-high>:<model spec>'; options go to the wrapped model."""
    delay, sep, inner = model.partition(":")
    if not sep or not inner:
        raise ModelConfigError(f"latency model {model!r}: use latency:<seconds>:<model spec>, "
                               "e.g. latency:0.2-2:scripted:demo")
    low, high = parse_delay(delay)
    return LatencyModel(inner=make_model(inner, **options), low_seconds=low, high_seconds=high)
