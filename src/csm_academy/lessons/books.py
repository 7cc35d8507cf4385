"""Where each exercise's book comes from: one place, so per-trainee seeds can land without notebook edits."""

from __future__ import annotations

import json
import os
from pathlib import Path

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.book.io import load_book

#: The visible book of each graded exercise (hidden tests use other seeds, kept in the hidden tests).
EXERCISE_SEEDS: dict[str, int] = {
    "01_nrr_math": 1102,
    "02_health_score_calibration": 2207,
    "03_expansion_qualification": 3300,
    "04_save_or_let_go": 4404,
}
EXERCISE_ACCOUNTS = 400
#: Exercises whose judgement questions need a bigger book for a fair check (forecast accuracy in ARR).
EXERCISE_ACCOUNTS_BY: dict[str, int] = {"04_save_or_let_go": 2000}
#: Set by the grader from the submission's folder name; takes precedence over everything else.
SEED_ENV = "CSM_ACADEMY_BOOK_SEED"
#: Written beside each personalised release notebook by `csm-academy release`.
SEED_FILE = "csm_academy_book.json"
#: The book every teaching notebook uses, committed in datasets/.
TEACHING_SAMPLE = "starter-500"


def exercise_seed(assignment: str) -> int:
    """This trainee's seed: the grader's, else the personalised release's, else the course default."""
    if assignment not in EXERCISE_SEEDS:
        raise KeyError(f"no exercise called {assignment!r}; known: {', '.join(EXERCISE_SEEDS)}")
    if os.environ.get(SEED_ENV, "").isdigit():
        return int(os.environ[SEED_ENV])
    try:
        data = json.loads(Path(SEED_FILE).read_text())
        if data.get("assignment") == assignment and isinstance(data.get("seed"), int):
            return int(data["seed"])
    except (OSError, ValueError, AttributeError):
        pass  # no personalised seed here: use the course default
    return EXERCISE_SEEDS[assignment]


def exercise_accounts(assignment: str) -> int:
    """How many accounts the trainee's own book has for ``assignment``."""
    return EXERCISE_ACCOUNTS_BY.get(assignment, EXERCISE_ACCOUNTS)


def exercise_book(assignment: str, *, with_truth: bool = False) -> Book:
    """The book for a graded exercise, observable only unless ``with_truth``.

    ``with_truth`` is for exercises whose checks judge answers against what really happened on the
    trainee's own book (which they could generate from its seed anyway); their scores come only from
    unseen books judged outside the kernel.
    """
    book = generate_book(exercise_seed(assignment), exercise_accounts(assignment))
    return book if with_truth else book.observable()


def teaching_book() -> Book:
    """The sample book the teaching notebooks use, with its truth so lessons can reveal it."""
    return load_book(TEACHING_SAMPLE, with_truth=True)
