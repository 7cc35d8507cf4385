"""A lesson is one declared unit: its assignment, its book, its graded questions and its practice.

Every module declares one ``Lesson`` in its own folder under ``lessons/`` and the registry lists it;
``exercise()`` and ``practice()`` are written here once for all of them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.questions.question import Misconception, Question
from csm_academy.questions.view import QuestionSet

#: Set by the grader from the submission's trainee: the seed of that trainee's own book.
SEED_ENV = "CSM_ACADEMY_BOOK_SEED"
#: Written beside each personalised release notebook by `csm-academy release`.
SEED_FILE = "csm_academy_book.json"
#: Accounts in a trainee's own book unless the lesson asks for more.
EXERCISE_ACCOUNTS = 400


def pick(catalogue: Mapping[str, Misconception], *ids: str) -> tuple[Misconception, ...]:
    """The misconceptions ``ids`` from a lesson's catalogue, in that order (a KeyError names a typo)."""
    return tuple(catalogue[i] for i in ids)


@dataclass(frozen=True)
class Handout:
    """A table or figure the exercise notebook is handed: ``build`` applied to the named earlier values.

    ``given`` names "book" (the trainee's own book) or earlier handouts, e.g. ``("save_desk", "pipeline")``.
    """

    name: str
    build: Callable[..., Any]
    given: tuple[str, ...] = ("book",)


@dataclass(frozen=True)
class Lesson:
    """One module's graded exercise and practice, declared as data."""

    assignment: str  # the nbgrader assignment id, e.g. "01_nrr_math"
    seed: int  # the default seed of the trainee's own book (a personalised release or the grader overrides it)
    questions: tuple[Question, ...]
    misconceptions: Mapping[str, Misconception]
    practice_questions: tuple[Question, ...] = ()
    accounts: int = EXERCISE_ACCOUNTS  # accounts in the trainee's own book
    # True where checks judge answers against what really happened on the trainee's own book (which
    # the trainee could regenerate from its seed anyway); scores never come from that book.
    check_with_truth: bool = False
    # What the exercise notebook uses from the lesson module besides exercise(): while it is graded the
    # kernel gets exactly these, worked out by the grader for the trainee's own book (see ``edition``).
    module: str = ""  # the lesson's module, e.g. "csm_academy.lessons.nrr_math"
    handouts: tuple[Handout, ...] = ()
    constants: Mapping[str, Any] = field(default_factory=dict)
    qids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "qids", tuple(q.qid for q in self.questions))
        if len(set(self.qids)) != len(self.qids):
            raise ValueError(f"{self.assignment}: two questions share an id")

    def question(self, qid: str) -> Question:
        """The graded question ``qid``."""
        for q in self.questions:
            if q.qid == qid:
                return q
        raise KeyError(f"{self.assignment} has no question {qid!r}; known: {', '.join(self.qids)}")

    @property
    def points(self) -> float:
        """Autograded points across the exercise."""
        return float(sum(q.points for q in self.questions))

    def trainee_seed(self) -> int:
        """This trainee's seed: the grader's, else the personalised release's, else the course default."""
        if os.environ.get(SEED_ENV, "").isdigit():
            return int(os.environ[SEED_ENV])
        try:
            data = json.loads(Path(SEED_FILE).read_text())
            if data.get("assignment") == self.assignment and isinstance(data.get("seed"), int):
                return int(data["seed"])
        except (OSError, ValueError, AttributeError):
            pass  # no personalised seed here: use the course default
        return self.seed

    def exercise_book(self, *, with_truth: bool | None = None) -> Book:
        """The trainee's own book, observable only unless the lesson's checks need its truth."""
        keep_truth = self.check_with_truth if with_truth is None else with_truth
        book = generate_book(self.trainee_seed(), self.accounts)
        return book if keep_truth else book.observable()

    def exercise(self) -> QuestionSet:
        """The graded exercise's questions, bound to this trainee's book."""
        return QuestionSet(self.questions, self.exercise_book(), graded=True)

    def practice(self, book: Book) -> QuestionSet:
        """The teaching notebook's practice questions, bound to ``book``; solutions allowed."""
        return QuestionSet(self.practice_questions, book, graded=False)

    def handouts_for(self, book: Book) -> dict[str, Any]:
        """Every handout worked out for ``book`` (grader side: this is where the lesson's code runs)."""
        values: dict[str, Any] = {"book": book}
        for handout in self.handouts:
            values[handout.name] = handout.build(*(values[name] for name in handout.given))
        return values
