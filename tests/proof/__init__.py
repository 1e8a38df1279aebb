"""Proof tests of the central server: concurrency across processes, crash safety, fuzzing."""
