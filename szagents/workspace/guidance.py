"""A backend's guidance as the templates of the README and the prompts read it: its own templates, found by path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2

from szagents.backends.protocol import Guidance

__all__ = ["BackendTemplates", "template_loader", "guidance_context"]


class BackendTemplates(jinja2.BaseLoader):
    """Loads the templates a backend names by absolute path (Guidance); any other name is not found here."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = Path(template)
        if not path.is_absolute() or not path.is_file():
            raise jinja2.TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: path.is_file() and path.stat().st_mtime == mtime


def template_loader(folder: Path) -> jinja2.BaseLoader:
    """The templates in folder by name, then those a backend names by path."""
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), BackendTemplates()])


def guidance_context(guidance: Guidance) -> dict[str, object]:
    """Each template slot as a path string (None: the template renders its generic text), and the flags."""
    return {slot: str(value) if isinstance(value, Path) else value for slot, value in guidance}
