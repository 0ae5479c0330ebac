"""Fake cerebras.sdk (tests only)."""
