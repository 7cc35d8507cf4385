"""Where each exercise's book comes from: one place, so per-trainee seeds can land without notebook edits."""

from __future__ import annotations

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.book.io import load_book

#: The visible book of each graded exercise (hidden tests use other seeds, kept in the hidden tests).
EXERCISE_SEEDS: dict[str, int] = {"01_nrr_math": 1102}
EXERCISE_ACCOUNTS = 400
#: The book every teaching notebook uses, committed in datasets/.
TEACHING_SAMPLE = "starter-500"


def exercise_book(assignment: str) -> Book:
    """The observable book for a graded exercise: no hidden truth ever reaches trainee code."""
    try:
        seed = EXERCISE_SEEDS[assignment]
    except KeyError:
        raise KeyError(f"no exercise called {assignment!r}; known: {', '.join(EXERCISE_SEEDS)}") from None
    return generate_book(seed, EXERCISE_ACCOUNTS).observable()


def teaching_book() -> Book:
    """The sample book the teaching notebooks use, with its truth so lessons can reveal it."""
    return load_book(TEACHING_SAMPLE, with_truth=True)
