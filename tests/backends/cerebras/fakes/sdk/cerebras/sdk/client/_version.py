"""Version of the fake client (the real package's _version.py has the same name and shape)."""

__version__ = "2.10.0+szagents.fake"
