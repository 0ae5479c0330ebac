"""The agent's workspace (confined file operations), its layout conventions, and revisions."""

from szagents.workspace.layout import (
    HEADER_SUFFIXES,
    starting_file,
    target_files,
    target_sources,
    task_context,
)
from szagents.workspace.materialize import materialize, render_readme
from szagents.workspace.revisions import (
    Revision,
    RevisionStore,
    files_sha256,
    one_line,
    revision_score,
    unified_diff,
)
from szagents.workspace.workspace import MAX_FILE_BYTES, READ_ONLY, Workspace, WorkspaceError

__all__ = [
    "Workspace",
    "WorkspaceError",
    "MAX_FILE_BYTES",
    "READ_ONLY",
    "HEADER_SUFFIXES",
    "target_files",
    "starting_file",
    "target_sources",
    "task_context",
    "materialize",
    "render_readme",
    "Revision",
    "RevisionStore",
    "revision_score",
    "unified_diff",
    "one_line",
    "files_sha256",
]
