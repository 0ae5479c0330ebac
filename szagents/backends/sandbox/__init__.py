"""The sandbox every piece of untrusted work runs in: compiles, harness children, profiler, shell.

bubblewrap namespaces (own pid, net, ipc, uts and mount namespaces; a private unprivileged uid;
read-only system; a private sized /tmp; an allowlisted environment), rlimits, a cgroup cap on the
whole tree where the machine delegates one, capped output, and secrets scrubbed from every text
that comes back. `SZAGENTS_ISOLATION=rlimits-only` opts in to the weaker mode where bwrap can't run.
"""

from szagents.backends.sandbox.layout import SandboxSpec
from szagents.backends.sandbox.limits import Limits, ProcessOutcome, signal_name, tail
from szagents.backends.sandbox.policy import (
    ISOLATION_ENV,
    Isolation,
    IsolationState,
    IsolationUnavailable,
    chosen_isolation,
    isolation_state,
)
from szagents.backends.sandbox.run import SandboxProcess, run_limited
from szagents.backends.sandbox.treecpu import TreeCpu
from szagents.backends.sandbox.scrub import REDACTED, sandbox_env, scrub

__all__ = [
    "Limits", "ProcessOutcome", "signal_name", "tail", "SandboxSpec", "SandboxProcess", "run_limited", "TreeCpu",
    "Isolation", "IsolationState", "IsolationUnavailable", "chosen_isolation", "isolation_state",
    "ISOLATION_ENV", "sandbox_env", "scrub", "REDACTED",
]
