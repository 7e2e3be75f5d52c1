"""Mutation testing of the verdict path: ``python3 -m tests.mutation`` (docs/testing.md)."""
