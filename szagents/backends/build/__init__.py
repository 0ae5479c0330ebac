"""Compiling kernel sources into shared libraries in the sandbox, cached by content."""
