"""Shared fixtures: books are cached per session because many tests read the same one."""

from __future__ import annotations

import functools

import pytest

import csm_academy


@functools.cache
def _book(seed: int, n: int) -> csm_academy.Book:
    return csm_academy.generate_book(seed, n)


@pytest.fixture(scope="session")
def default_book() -> csm_academy.Book:
    """The default 2,000-account book in which every seeded situation must occur."""
    return _book(2025, 2000)


@pytest.fixture(scope="session")
def large_book() -> csm_academy.Book:
    """A 20,000-account book, large enough for benchmark bands."""
    return _book(2025, 20_000)
