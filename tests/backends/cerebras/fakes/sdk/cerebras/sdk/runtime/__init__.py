"""Fake cerebras.sdk.runtime (tests only)."""
