"""The trusted parent of a harness run: launch, staging, the conversation, timing, verification, verdicts."""
