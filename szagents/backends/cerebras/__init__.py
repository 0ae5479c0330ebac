"""The cerebras backend: agents' CSL on Cerebras WSE systems, with static pre-checks and honest failures.

Two modes: the local SDK (cslc + cs_python, on the fabric simulator or a CS system by --cmaddr,
optionally inside the SDK's Singularity container) and appliance mode on a Wafer-Scale Cluster
(cerebras-sdk's SdkCompiler / SdkLauncher). None of it has run against the real SDK yet: it is
built on the SDK's documented interfaces and tested with fakes of the tools.
"""

from szagents.backends.cerebras.backend import CerebrasBackend
from szagents.backends.cerebras.config import HARDWARE_FABRIC, CerebrasConfig
from szagents.backends.cerebras.conventions import HOST_PARAMS, HOST_SYMBOLS, HostSymbol, cap_words
from szagents.backends.cerebras.diagnostics import Diagnostic, parse_diagnostics
from szagents.backends.cerebras.static_checks import Finding, check_sources, format_findings, has_errors

__all__ = [
    "CerebrasBackend",
    "CerebrasConfig",
    "HARDWARE_FABRIC",
    "HOST_PARAMS",
    "HOST_SYMBOLS",
    "HostSymbol",
    "cap_words",
    "Diagnostic",
    "parse_diagnostics",
    "Finding",
    "check_sources",
    "format_findings",
    "has_errors",
]
