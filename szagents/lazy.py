"""Package faces that import what they export on first use (PEP 562).

`import szagents.run.config` first runs `szagents/run/__init__.py`; had that imported `start_run`, every
caller of the small config module (the CLI checking its options, a study reading its grid) would load the
whole agent stack first. A package lists its exports by module instead, and each loads when first read.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(package: str, modules: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module `__getattr__` for package: each name in modules[m] is read from module m when first asked for."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later reads are plain attribute reads
        return value

    return __getattr__
