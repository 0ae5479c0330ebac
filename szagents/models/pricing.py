"""Token prices per model (a TOML data file users can override) and the dollar cost of token usage."""

from __future__ import annotations

import fnmatch
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from szagents.errors import InputError

__all__ = ["ENV_VAR", "Price", "PriceTable", "load_prices", "cost_usd", "tokens_by_model"]

ENV_VAR = "SZAGENTS_PRICES"
_BUNDLED = Path(__file__).resolve().parent / "prices.toml"


class Price(BaseModel):
    """US dollars per million input and output tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        """Dollars for this many tokens."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


class PriceTable(BaseModel):
    """Model spec or fnmatch pattern -> Price; exact keys win, then patterns in file order."""

    model_config = ConfigDict(frozen=True)

    prices: dict[str, Price]

    def lookup(self, model: str) -> Price | None:
        """The price of a model spec, None when the table does not know it."""
        if model in self.prices:
            return self.prices[model]
        return next((p for key, p in self.prices.items() if fnmatch.fnmatchcase(model, key)), None)


def _read(path: Path) -> dict[str, Price]:
    try:
        data = tomllib.loads(path.read_text())
        return {key: Price.model_validate(value) for key, value in data.items()}
    except FileNotFoundError:
        raise InputError(f"price file {path} does not exist; give a TOML file of "
                         "[\"provider:model\"] tables with input_per_mtok and output_per_mtok") from None
    except (tomllib.TOMLDecodeError, ValidationError, AttributeError) as exc:
        raise InputError(f"price file {path} is invalid: {exc}; each entry is a [\"provider:model\"] table "
                         "with input_per_mtok and output_per_mtok (USD per million tokens)") from None


def load_prices(path: Path | str | None = None) -> PriceTable:
    """The bundled prices, overridden entry by entry by path (default: $SZAGENTS_PRICES, if set)."""
    override = path if path is not None else os.environ.get(ENV_VAR) or None
    bundled = _read(_BUNDLED)
    if override is None:
        return PriceTable(prices=bundled)
    mine = _read(Path(override))
    return PriceTable(prices={**mine, **{k: v for k, v in bundled.items() if k not in mine}})


def cost_usd(table: PriceTable, usage: Mapping[str, tuple[int, int]]) -> float | None:
    """Dollars for {model: (input_tokens, output_tokens)}; None when a model with tokens has no price."""
    total = 0.0
    for model, (inp, out) in usage.items():
        price = table.lookup(model)
        if price is None:
            if inp or out:
                return None
            continue
        total += price.cost_usd(inp, out)
    return total


def _usage(messages: Iterable[Any]) -> tuple[int, int]:
    """Summed usage_metadata of the AI messages in a conversation."""
    inp = out = 0
    for message in messages:
        usage = getattr(message, "usage_metadata", None) or {}
        inp += int(usage.get("input_tokens", 0))
        out += int(usage.get("output_tokens", 0))
    return inp, out


def tokens_by_model(conversations: Mapping[str, Iterable[Any]], model_of: Mapping[str, str],
                    totals: tuple[int, int]) -> dict[str, tuple[int, int]]:
    """Split a run's token totals by model, in proportion to each conversation's recorded usage.

    model_of maps conversation key -> model spec. With one model every token is its own; with
    several, conversations that lost messages (trimmed context) still split the exact totals.
    """
    models = sorted(set(model_of.values()))
    if len(models) <= 1:
        return {models[0]: totals} if models else {}
    seen: dict[str, list[int]] = {m: [0, 0] for m in models}
    for key, messages in conversations.items():
        inp, out = _usage(messages)
        model = model_of.get(key, models[0])
        seen[model][0] += inp
        seen[model][1] += out
    split: dict[str, tuple[int, int]] = {}
    for i, total in enumerate(totals):
        recorded = sum(v[i] for v in seen.values())
        for model in models:
            share = seen[model][i] / recorded if recorded else (1.0 if model == models[0] else 0.0)
            prev = split.get(model, (0, 0))
            split[model] = (round(total * share), prev[1]) if i == 0 else (prev[0], round(total * share))
    return split
