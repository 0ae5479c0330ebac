"""Role x tier prompt templates (user / knowledgeable / expert) and their renderer."""

from szagents.prompts.render import (
    ROLES,
    TEAMS,
    TEMPLATES,
    TIERS,
    prompt_environment,
    render_prompt,
    render_template,
    system_prompt,
)

__all__ = ["TIERS", "ROLES", "TEAMS", "TEMPLATES", "prompt_environment", "render_template", "render_prompt",
           "system_prompt"]
