"""Render role x tier prompts from the Jinja2 templates in templates/ (strict: no silent blanks).

Tiers (study section III-C) only add text: user = goal and constraints; knowledgeable = + the
kernel's pipeline and error-bound rules; expert = + architecture guidance and profile-gated tuning.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jinja2

from szagents.errors import UnknownSpecError
from szagents.tasks.task import Task
from szagents.tiers import TIERS
from szagents.workspace.guidance import template_loader
from szagents.workspace.layout import task_context

__all__ = ["TIERS", "ROLES", "TEAMS", "TEMPLATES", "prompt_environment", "render_template", "render_prompt",
           "system_prompt"]

ROLES = ("translator", "optimizer", "reviewer", "single")  # "single": one agent in every role
TEAMS = ("single", "multi")
TEMPLATES = Path(__file__).resolve().parent / "templates"

_BLANK_RUNS = re.compile(r"\n{3,}")


@functools.lru_cache(maxsize=1)
def prompt_environment() -> jinja2.Environment:
    """The Jinja2 environment of the prompt templates (StrictUndefined, no HTML escaping)."""
    return jinja2.Environment(
        loader=template_loader(TEMPLATES), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )


def render_template(name: str, **context: Any) -> str:
    """Render one template by name; a variable the template needs and context lacks raises."""
    text = prompt_environment().get_template(name).render(**context)
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"


def _check(kind: str, value: str, known: tuple[str, ...]) -> None:
    if value not in known:
        raise UnknownSpecError(f"unknown {kind} {value!r}; known {kind}s: {', '.join(known)}")


def render_prompt(role: str, tier: str, task: Task, **extra: Any) -> str:
    """The system prompt of role at tier for task; extra adds optional variables (report, best, shell)."""
    _check("role", role, ROLES)
    _check("tier", tier, TIERS)
    context = {**task_context(task), "role": role, "tier": tier, "tier_level": TIERS.index(tier), **extra}
    return render_template(f"roles/{role}.md.j2", **context)


def system_prompt(team: str, role: str, tier: str, task: Task, **extra: Any) -> str:
    """The prompt an agent of team gets for role: a single agent gets the all-roles prompt."""
    _check("team", team, TEAMS)
    _check("role", role, ROLES)
    return render_prompt("single" if team == "single" else role, tier, task, **extra)
