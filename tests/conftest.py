"""Shared fixtures: books are cached per session because many tests read the same one."""

from __future__ import annotations

import functools

import pytest

import csm_academy as ca


@functools.cache
def _book(seed: int, n: int) -> ca.Book:
    return ca.generate_book(seed, n)


@pytest.fixture(scope="session")
def default_book() -> ca.Book:
    """The default 2,000-account book in which every seeded situation must occur."""
    return _book(2025, 2000)


@pytest.fixture(scope="session")
def large_book() -> ca.Book:
    """A 20,000-account book, large enough for benchmark bands."""
    return _book(2025, 20_000)
