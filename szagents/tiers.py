"""Prompt tiers: how much the agent is told about the target, from least to most (a leaf every layer may use)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["TIERS", "Tier"]

Tier = Literal["user", "knowledgeable", "expert"]
"""A prompt tier: the user's plain request, a knowledgeable user's hints, an expert's guidance."""

TIERS: tuple[str, ...] = get_args(Tier)
"""Every tier, in the study's order (prompts rank them, tables and figures sort by it)."""
