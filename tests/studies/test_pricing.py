"""Prices: bundled table, user override, cost of usage, token split between models; the latency model."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from szagents.errors import InputError, ModelConfigError
from szagents.models import make_model
from szagents.models.pricing import Price, cost_usd, load_prices, tokens_by_model
from szagents.models.latency import LatencyModel, parse_delay


def test_bundled_prices_and_override(tmp_path: Path):
    """Exact keys, patterns, and a user file that replaces one entry and adds another."""
    table = load_prices()
    assert table.lookup("scripted:anything") == Price(input_per_mtok=0, output_per_mtok=0)
    assert table.lookup("openai:gpt-5.1-codex").output_per_mtok > 0 and table.lookup("acme:x") is None
    mine = tmp_path / "p.toml"
    mine.write_text('["openai:gpt-5.1-codex"]\ninput_per_mtok = 1\noutput_per_mtok = 3\n["acme:*"]\n'
                    'input_per_mtok = 5\noutput_per_mtok = 5\n')
    table = load_prices(mine)
    assert table.lookup("openai:gpt-5.1-codex").output_per_mtok == 3 and table.lookup("acme:big").input_per_mtok == 5
    assert cost_usd(table, {"openai:gpt-5.1-codex": (2_000_000, 1_000_000), "scripted:demo": (5, 5)}) == 5.0
    assert cost_usd(table, {"unknown:model": (1, 0)}) is None
    (tmp_path / "bad.toml").write_text('["x:y"]\ninput_per_mtok = -1\noutput_per_mtok = 0\n')
    with pytest.raises(InputError, match="bad.toml"):
        load_prices(tmp_path / "bad.toml")


def test_tokens_split_between_models_by_recorded_usage():
    """Two models: totals split in proportion to each conversation's usage metadata; one model takes all."""
    def reply(inp: int, out: int) -> AIMessage:
        return AIMessage("", usage_metadata={"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out})
    conversations = {"translator": [HumanMessage("hi"), reply(100, 10)], "optimizer": [reply(300, 30)]}
    split = tokens_by_model(conversations, {"translator": "a:x", "optimizer": "b:y"}, (400, 40))
    assert split == {"a:x": (100, 10), "b:y": (300, 30)}
    assert tokens_by_model(conversations, {"agent": "a:x"}, (7, 3)) == {"a:x": (7, 3)}


def test_latency_model_sleeps_within_its_range_and_answers_like_the_wrapped_model():
    """latency:0.01-0.05:scripted:hello: a delay in range, the same for the same request; the script's reply."""
    model = make_model("latency:0.01-0.05:scripted:hello")
    assert isinstance(model, LatencyModel)
    request = [HumanMessage("start")]
    delay = model.delay_seconds(request)
    assert 0.01 <= delay <= 0.05 and model.delay_seconds(request) == delay
    assert model.invoke(request).tool_calls[0]["name"] == "list_files"
    assert parse_delay("2") == (2.0, 2.0)
    for bad in ("fast:scripted:hello", "2-1:scripted:hello", "2"):
        with pytest.raises(ModelConfigError):
            make_model(f"latency:{bad}")
