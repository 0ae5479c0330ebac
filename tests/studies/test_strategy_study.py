"""Studies of search strategies: the team axis names best-of-n and evolve, [strategy] sets their knobs, [team_models]
gives a team its own model; the demo study in examples/ plans four runs at one budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.errors import InputError
from szagents.studies.grid import load_study
from szagents.studies.plan import plan_study

DEMO = Path(__file__).resolve().parents[2] / "examples" / "strategies_study.toml"


def test_the_demo_study_plans_single_multi_best_of_n_and_evolve_at_one_budget():
    """Four runs, one per strategy, on the cpu task, quick, the same budget each; the searches carry their knobs."""
    plan = plan_study(load_study(DEMO))
    configs = {config.run_id.split("__")[-2]: config for _, config in plan.configs.values()}
    assert sorted(configs) == ["best-of-n", "evolve", "multi", "single"]
    assert {c.task for c in configs.values()} == {"szx-optimize-cpu"} and all(c.quick for c in configs.values())
    assert len({c.budgets for c in configs.values()}) == 1
    assert configs["single"].strategy is None and configs["multi"].strategy is None
    assert configs["multi"].team.name == "multi" and configs["single"].team.name == "single"
    best_of_n, evolve = configs["best-of-n"].strategy, configs["evolve"].strategy
    assert (best_of_n.kind, best_of_n.n, configs["best-of-n"].team.name) == ("best-of-n", 2, "single")
    assert evolve.kind == "evolve" and evolve.evolve.islands == 2
    assert set(configs["evolve"].team.models().values()) == {"scripted:evolve_szx_cpu"}
    assert set(configs["best-of-n"].team.models().values()) == {"scripted:demo"}


def test_a_team_with_its_own_model_has_one_cell_whatever_the_grids_models(tmp_path: Path):
    """Two grid models x (single, evolve): two single cells, one evolve cell on its own model."""
    path = tmp_path / "study.toml"
    path.write_text('[study]\nname = "s"\nruns_dir = "runs"\n[grid]\ntask = ["szx-optimize-cpu"]\n'
                    'model = ["scripted:demo", "scripted:hello"]\nteam = ["single", "evolve"]\n'
                    '[team_models]\nevolve = "scripted:evolve_szx_cpu"\n')
    cells = load_study(path).cells()
    assert [(c.team, c.model) for c in cells] == [("single", "scripted:demo"), ("evolve", "scripted:evolve_szx_cpu"),
                                                  ("single", "scripted:hello")]


@pytest.mark.parametrize("table, message", [
    ('[strategy]\nkind = "evolve"\n', "drop 'kind'"),
    ('[strategy]\nevolve = { features = ["taste"] }\n', "features"),
    ('[team_models]\nsolo = "scripted:demo"\n', "not a team"),
])
def test_bad_strategy_tables_are_one_clear_line(tmp_path: Path, table: str, message: str):
    path = tmp_path / "study.toml"
    path.write_text('[study]\nname = "s"\nruns_dir = "runs"\n[grid]\ntask = ["szx-optimize-cpu"]\n'
                    f'model = ["scripted:demo"]\nteam = ["evolve"]\n{table}')
    with pytest.raises(InputError, match=message):
        load_study(path)
