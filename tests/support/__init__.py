"""Shared helpers for the project's own tests (importable as ``support``; see pyproject's pythonpath)."""
