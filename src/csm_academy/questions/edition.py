"""A lesson as the grading kernel sees it: the trainee's own handouts and questions, and no reference code.

Under ``csm-academy grade`` the sandbox holds a trainee runtime of the package (the book, this engine and
the charts) in which every lesson module is the same three lines: ``globals().update(namespace(__name__))``.
Before the kernel starts, the grader works out the lesson's handouts for the trainee's own book and writes
them, with each question's title, points and hints, into the sandbox (``EDITION_FILE``); ``namespace``
turns that into what the exercise notebook uses. The reference calculations, the misconceptions and the
metrics behind them are not in the sandbox at all, so no trainee code can call or read them.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.questions import wire
from csm_academy.questions.lesson import Lesson
from csm_academy.questions.question import hint_of
from csm_academy.questions.view import NO_SOLUTIONS, RUN_BY_GRADER, show

EDITION_FILE = "edition.pkl"
CHECKED_BY_GRADER = "{title}: checked by the grader, on unseen books, once this cell has run."


@dataclass(frozen=True)
class Card:
    """What a graded question shows in the notebook: its title, points and hints (no way to judge it)."""

    qid: str
    title: str
    points: float
    hints: tuple[str, ...]


@dataclass(frozen=True)
class Edition:
    """One trainee's lesson while it is graded: its handouts for their own book, and its question cards."""

    module: str  # the lesson's module name, e.g. "csm_academy.lessons.nrr_math"
    assignment: str
    values: dict[str, Any]  # "book" (the trainee's own) and every handout worked out from it
    given: dict[str, tuple[str, ...]]  # per handout, the values it is worked out from
    constants: dict[str, Any]
    cards: tuple[Card, ...]


def edition_of(lesson: Lesson, book: Book) -> Edition:
    """The lesson's edition for ``book`` (grader side: the lesson's own code runs here, outside the sandbox)."""
    return Edition(
        module=lesson.module,
        assignment=lesson.assignment,
        values=lesson.handouts_for(book),
        given={handout.name: handout.given for handout in lesson.handouts},
        constants=dict(lesson.constants),
        cards=tuple(Card(q.qid, q.title, q.points, q.hints) for q in lesson.questions),
    )


def namespace(module: str) -> dict[str, Any]:
    """Kernel side: the names lesson ``module`` offers while its exercise is graded."""
    folder = wire.grading_dir()
    if folder is None or not (folder / EDITION_FILE).exists():
        raise ImportError(f"{module} is only a stand-in in this sandbox, and no exercise of it is being graded")
    with (folder / EDITION_FILE).open("rb") as fh:
        edition: Edition = pickle.load(fh)  # written by the grader before this kernel started
    if edition.module != module:
        raise ImportError(f"{module} is not available while {edition.assignment} is being graded")
    names: dict[str, Any] = copy.deepcopy(edition.constants)
    graded = GradedSet(edition.cards, edition.values["book"])
    names["exercise"] = lambda: graded
    for name, given in edition.given.items():
        names[name] = _handout(name, given, edition.values)
    names["__all__"] = sorted(names)
    return names


def _handout(name: str, given: tuple[str, ...], values: dict[str, Any]) -> Callable[..., Any]:
    def handout(*args: Any) -> Any:
        if len(args) != len(given) or not all(_same(arg, values[g]) for arg, g in zip(args, given, strict=False)):
            wanted = ", ".join("your book (ex.book)" if g == "book" else f"your {g}" for g in given)
            raise ValueError(f"While your exercise is graded, {name}() works only on {wanted}.")
        return copy.deepcopy(values[name])  # the trainee may change what they are handed: hand out a copy

    handout.__name__ = handout.__qualname__ = name
    handout.__doc__ = f"{name} of your own book, worked out by the grader."
    return handout


def _same(arg: Any, value: Any) -> bool:
    if arg is value:
        return True
    if isinstance(value, pd.DataFrame | pd.Series):
        return type(arg) is type(value) and arg.equals(value)
    if isinstance(value, Book):
        return False  # only the trainee's own book object: exercise().book
    try:
        return bool(arg == value)
    except (TypeError, ValueError):
        return False


class GradedView:
    """One graded question in the grading kernel: check() and the hidden test hand over to the grader."""

    def __init__(self, card: Card):
        self._card = card

    @property
    def title(self) -> str:
        """The question's title."""
        return self._card.title

    def check(self, answer: Any = None) -> None:
        """Say that the grader checks this answer (nothing is judged inside the kernel)."""
        show(CHECKED_BY_GRADER.format(title=self._card.title))

    def hint(self, level: int = 1) -> None:
        """Show hint number ``level``."""
        show(hint_of(self._card.title, self._card.hints, level))

    def solution(self) -> None:
        """Graded exercises never reveal solutions."""
        show(NO_SOLUTIONS)

    def __repr__(self) -> str:
        return f"<{self._card.title} ({self._card.points:g} points): checked by the grader>"


class GradedSet:
    """The exercise's questions in the grading kernel, bound to the trainee's own book."""

    graded = True

    def __init__(self, cards: tuple[Card, ...], book: Book):
        self.book = book
        self._cards = {card.qid: card for card in cards}
        for qid, card in self._cards.items():
            setattr(self, qid, GradedView(card))

    @property
    def total_points(self) -> float:
        """Points available across the set."""
        return sum(card.points for card in self._cards.values())

    def grade_hidden(self, qid: str, *args: Any, **kwargs: Any) -> None:
        """The hidden test: the grader asks for this answer on unseen books as soon as the cell has run."""
        title = self._cards[qid].title if qid in self._cards else qid
        show(RUN_BY_GRADER.format(title=title))

    def __repr__(self) -> str:
        return f"<{len(self._cards)} questions, {self.total_points:g} points: {', '.join(self._cards)}>"
