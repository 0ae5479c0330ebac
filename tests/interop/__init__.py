"""Tests of szagents.interop: other search loops scoring candidates with the szagents harness."""
