"""Fake of the Cerebras SDK packages (tests only)."""
