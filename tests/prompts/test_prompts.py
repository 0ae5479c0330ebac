"""Prompts: every role x tier x task renders strictly; tiers only add; unknown specs are named."""

from __future__ import annotations

import shutil

import jinja2
import pytest

from szagents.errors import UnknownSpecError
from szagents.paths import kernels_dir
from szagents.prompts import ROLES, TIERS, prompt_environment, render_prompt, render_template, system_prompt
from szagents.tasks.catalog import get_task, load_tasks

TASKS = load_tasks()
KNOWLEDGE = {"szp": ["Lorenzo", "blocks of 32", "bit-planes", "prefix sum"],
             "szx": ["blocks of 128", "radius <= eb", "mid-bytes", "leading-byte"]}
ARCHITECTURE = {"cuda": ["Coalesce", "float4", "__ballot_sync", "decoupled look-back", "Fuse kernels"],
                "cerebras": ["spatially", "fabric", "memcpy infrastructure"],
                "cpu": ["vectorize", "omp parallel for"]}
COMMON_EXPERT = ["How to tune", "bottleneck"]
COMMON_KNOWLEDGE = ["Error-bound rules", "never rescale"]


def _lines(text: str) -> set[str]:
    return {line for line in text.splitlines() if line.strip()}


def test_backends_and_kernels_are_all_covered():
    """The shipped tasks span cpu, cuda and cerebras targets and both kernels."""
    assert {t.target for t in TASKS} == {"cpu", "cuda", "cerebras"}
    assert {t.kernel.name for t in TASKS} == {"szp", "szx"}


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
@pytest.mark.parametrize("role", ROLES)
def test_every_prompt_renders_with_the_task_facts(task, role):
    """Each role and tier renders (StrictUndefined) and states the goal, files and error rule."""
    for tier in TIERS:
        text = render_prompt(role, tier, task)
        assert task.id in text and "|x - x'| <= eb" in text and "absolute" in text
        assert all(f"`{name}`" in text for name in {"cpu": ["kernel.c"], "cuda": ["kernel.cu"],
                                                   "cerebras": ["layout.csl", "pe.csl"]}[task.target])
        assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
@pytest.mark.parametrize("role", ROLES)
def test_tiers_strictly_grow(task, role):
    """Every line of a lower tier is in the higher one, and the higher one adds lines."""
    user, knowledgeable, expert = (_lines(render_prompt(role, tier, task)) for tier in TIERS)
    assert user < knowledgeable < expert


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_key_phrases_appear_only_from_their_tier_up(task):
    """Pipeline knowledge starts at knowledgeable; architecture guidance at expert."""
    user, knowledgeable, expert = (render_prompt("single", tier, task) for tier in TIERS)
    for phrase in KNOWLEDGE[task.kernel.name] + COMMON_KNOWLEDGE:
        assert phrase not in user and phrase in knowledgeable and phrase in expert, phrase
    for phrase in ARCHITECTURE[task.target] + COMMON_EXPERT:
        assert phrase not in user and phrase not in knowledgeable and phrase in expert, phrase


def test_variant_and_mode_specific_text():
    """Outlier mode is explained only for the outlier variant; translate and optimize goals differ."""
    outlier = render_prompt("optimizer", "knowledgeable", get_task("szp-optimize-cuda-outlier"))
    plain = render_prompt("optimizer", "knowledgeable", get_task("szp-optimize-cuda"))
    assert "Outlier mode" in outlier and "-DSZP_OUTLIER=1" in outlier and "Outlier mode" not in plain
    assert "Translate the SZp" in render_prompt("translator", "user", get_task("szp-translate-cuda"))
    assert "as fast as possible" in plain and "starts as a correct copy of `baseline.cu`" in plain


def test_extras_fill_optional_sections():
    """The reviewer shows a harness report and the optimizer the best revision when given."""
    task = get_task("szx-optimize-cuda")
    reviewed = render_prompt("reviewer", "user", task, report="validation: bound_violation at index 7")
    assert "## Harness report\nvalidation: bound_violation at index 7" in reviewed
    assert "Harness report" not in render_prompt("reviewer", "user", task)
    assert "Best revision so far: #3" in render_prompt("optimizer", "user", task, best="#3 at 120 GB/s")
    assert "`shell`" in render_prompt("single", "user", task, shell=True)
    assert "`shell`" not in render_prompt("single", "user", task)


def test_system_prompt_maps_teams_to_templates():
    """A single agent gets the all-roles prompt for any role; a multi-agent team the role's own."""
    task = get_task("szp-optimize-cpu")
    assert system_prompt("single", "optimizer", "expert", task) == render_prompt("single", "expert", task)
    assert system_prompt("multi", "optimizer", "expert", task) == render_prompt("optimizer", "expert", task)


@pytest.mark.parametrize(("call", "known"), [
    (lambda t: render_prompt("translator", "guru", t), "user, knowledgeable, expert"),
    (lambda t: render_prompt("manager", "user", t), "translator, optimizer, reviewer, single"),
    (lambda t: system_prompt("swarm", "translator", "user", t), "single, multi"),
])
def test_unknown_specs_list_the_known_ones(call, known):
    """Unknown tier, role or team raises UnknownSpecError naming the choices."""
    with pytest.raises(UnknownSpecError, match=known):
        call(get_task("szx-optimize-cpu"))


def test_missing_variables_fail_loudly():
    """StrictUndefined: a template rendered without its variables raises instead of leaving blanks."""
    assert prompt_environment().undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        render_template("roles/translator.md.j2", tier_level=0)
    with pytest.raises(jinja2.UndefinedError):
        prompt_environment().from_string("{{ task_id }} {{ nothing }}").render(task_id="x")


def test_user_defined_kernel_falls_back_to_generic_guidance(tmp_path):
    """A kernel without its own knowledge template points the agent at its source's header comment."""
    folder = tmp_path / "mykern"
    shutil.copytree(kernels_dir() / "szx", folder)
    toml = folder / "task.toml"
    toml.write_text(toml.read_text().replace('name = "szx"', 'name = "mykern"'))
    task = get_task("mykern-optimize-cpu", root=tmp_path)
    text = render_prompt("optimizer", "expert", task)
    assert "## How mykern works" in text and "comment at the top of `kernel.c`" in text
