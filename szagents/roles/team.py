"""Teams: which model and which conversation plays each role."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from szagents.tasks.task import Mode, Task

__all__ = ["RoleSpec", "Team", "AUTHOR_ROLES", "first_role"]

AUTHOR_ROLES = ("translator", "optimizer")


def first_role(task: Task) -> str:
    """The role that opens a run of task: the translator of a translate task, else the optimizer."""
    return "translator" if task.mode is Mode.translate else "optimizer"


class RoleSpec(BaseModel):
    """A role's model spec and the conversation it speaks in."""

    model_config = ConfigDict(frozen=True)

    model: str
    conversation: str


class Team(BaseModel):
    """Role -> (model, conversation). Roles sharing a conversation are one agent."""

    model_config = ConfigDict(frozen=True)

    name: str
    roles: dict[str, RoleSpec]
    reviewer: str | None = Field(default=None, description="model spec of an LLM validator-reviewer, if any")

    @classmethod
    def single(cls, model: str) -> Team:
        """The single-agent baseline: one model, one conversation for every role."""
        return cls(name="single", roles={r: RoleSpec(model=model, conversation="agent") for r in AUTHOR_ROLES})

    @classmethod
    def multi(cls, translator: str, optimizer: str | None = None, reviewer: str | None = None) -> Team:
        """A team: translator and optimizer with their own conversations (and models)."""
        roles = {
            "translator": RoleSpec(model=translator, conversation="translator"),
            "optimizer": RoleSpec(model=optimizer or translator, conversation="optimizer"),
        }
        return cls(name="multi", roles=roles, reviewer=reviewer)

    def models(self) -> dict[str, str]:
        """role -> model spec, reviewer included."""
        found = {role: spec.model for role, spec in self.roles.items()}
        if self.reviewer:
            found["validator"] = self.reviewer
        return found
