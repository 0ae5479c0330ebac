"""Bridges to other systems' search loops: they call szagents' sandboxed harness as their evaluator."""
