"""Package faces that load their exports on first use (szagents/lazy.py) give what an eager import gave."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

LAZY = ("szagents.run", "szagents.models", "szagents.strategies")


@pytest.mark.parametrize("name", LAZY)
def test_every_export_is_the_defining_modules_object_even_after_its_submodules_load(name):
    """Each name in __all__ resolves to its module's object, also once every submodule is imported: a submodule
    named like an export would otherwise shadow it (roles.validator, the function and the module, did)."""
    package = importlib.import_module(name)
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{name}.{info.name}")
    for export in package.__all__:
        value = getattr(package, export)
        assert not isinstance(value, types.ModuleType), f"{name}.{export} is a module"


def test_a_config_module_loads_without_the_agent_stack():
    """strategies.config and run.budgets (what `szagents run` checks its options with) do not import LangGraph
    through their packages' faces."""
    probe = "import sys, szagents.strategies.config, szagents.run.budgets; print('langgraph' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_an_in_process_run_does_not_load_the_mcp_sdk():
    """Wiring a run (what every `szagents run` and study worker imports) loads MCP only for `--tools mcp`."""
    probe = ("import sys, szagents.run.wiring; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'langchain_mcp_adapters')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
