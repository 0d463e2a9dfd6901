"""Shared builders for the project's tests."""
