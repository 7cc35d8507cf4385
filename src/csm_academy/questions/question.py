"""A question is a small object: what to call, how to compare, and the wrong answers it knows by name."""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from csm_academy.book.book import Book
from csm_academy.questions.compare import WrongShape
from csm_academy.questions.feedback import Feedback, Hint, Outcome

BookVariant = Callable[[Book], Book]


@dataclass(frozen=True)
class Misconception:
    """A wrong answer we recognise: an id, how to produce it from a book, and what to tell the trainee."""

    id: str
    produce: Callable[[Book], Any]
    message: str


@dataclass(frozen=True)
class Question:
    """One question: the trainee writes the function ``answer``; ``reference`` is the right result."""

    qid: str  # also the nbgrader grade_id of its test cell
    answer: str  # the name of the function the trainee defines
    title: str
    points: float
    inputs: Callable[[Book], tuple]  # what the trainee's function is handed (observable data only)
    reference: Callable[[Book], Any]
    compare: Any  # one of the comparators in compare.py
    misconceptions: tuple[Misconception, ...] = ()
    hints: tuple[str, ...] = ()
    wrong: str = "That is not the figure the book gives."  # said when no known misconception matches
    solution_code: str = ""  # shown by solution() in teaching notebooks only
    kind: str = "function"  # "function": the trainee defines it; "value": the trainee assigns a result
    edge_cases: tuple[tuple[str, BookVariant], ...] = field(default_factory=tuple)

    def hint(self, level: int = 1) -> Hint:
        """Hint number ``level`` (1 is the gentlest)."""
        if not self.hints:
            return Hint(self.title, 1, 1, "There are no hints for this one: re-read the task above.")
        level = min(max(int(level), 1), len(self.hints))
        return Hint(self.title, level, len(self.hints), self.hints[level - 1])

    def evaluate(self, candidate: Any, book: Book, *, hidden: bool = False, label: str = "") -> Feedback:
        """Run the trainee's function on ``book`` and judge the result against the reference."""
        where = f" on {label}" if label else ""

        def fb(outcome: Outcome, message: str, misconception: str | None = None) -> Feedback:
            points = self.points if outcome is Outcome.CORRECT else 0.0
            return Feedback(self.qid, self.title, outcome, message, points, self.points, misconception, hidden)

        if self.kind == "value":
            if candidate is _MISSING or candidate is Ellipsis:
                return fb(Outcome.NOT_ATTEMPTED, f"Replace the `...` after `{self.answer} =` with your answer.")
            return self._judge(candidate, book, fb, where, hidden)
        if candidate is _MISSING:
            return fb(Outcome.NOT_ATTEMPTED, f"Define a function called `{self.answer}` in the answer cell above.")
        if not callable(candidate):
            return fb(
                Outcome.INCORRECT,
                f"`{self.answer}` should be a function (def {self.answer}(...): ...), not a fixed value: "
                "it will be run on other books of accounts.",
                "not_a_function",
            )
        borrowed = _borrowed_from_course(candidate)
        if borrowed:
            return fb(
                Outcome.INCORRECT,
                f"`{self.answer}` calls the course's own code ({borrowed}); write the calculation yourself.",
                "borrowed_reference",
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = candidate(*self.inputs(book.observable()))
        except NotImplementedError:
            return fb(Outcome.NOT_ATTEMPTED, "Replace `raise NotImplementedError()` with your own code.")
        except Exception as exc:  # the trainee's code failed: say how, in one line
            return fb(
                Outcome.INCORRECT,
                f"Your function stopped with an error{where}: {type(exc).__name__}: {str(exc)[:200]}",
                "raised_error",
            )
        if result is None:
            return fb(
                Outcome.INCORRECT,
                "Your function returned nothing. Did you forget a `return` statement?",
                "returned_none",
            )
        return self._judge(result, book, fb, where, hidden)

    def _judge(self, result: Any, book: Book, fb: Callable[..., Feedback], where: str, hidden: bool) -> Feedback:
        try:
            got = self.compare.coerce(result)
        except WrongShape as exc:
            return fb(Outcome.INCORRECT, f"The result of `{self.answer}` {exc}.", "wrong_shape")
        expected = self.compare.coerce(self.reference(book))
        if self.compare.same(got, expected):
            return fb(Outcome.CORRECT, _praise(self, hidden))
        for m in self.misconceptions:
            try:
                wrong = self.compare.coerce(m.produce(book))
            except (WrongShape, ValueError, ZeroDivisionError):
                continue
            if not self.compare.same(wrong, expected) and self.compare.same(got, wrong):
                return fb(Outcome.INCORRECT, m.message, m.id)
        return fb(Outcome.INCORRECT, self.wrong + (f" (checked{where})" if where else ""))


_MISSING = object()


def _praise(q: Question, hidden: bool) -> str:
    if q.kind == "value":
        return f"`{q.answer}` is right."
    if hidden:
        return f"`{q.answer}` gives the right answer on books of accounts you have not seen."
    return f"`{q.answer}` gives the right answer on your book."


def _borrowed_from_course(fn: Any, depth: int = 0, seen: set[int] | None = None) -> str:
    """Name the course code a trainee function reaches for, following its own helpers a few levels."""
    seen = set() if seen is None else seen
    if id(fn) in seen or depth > 3:
        return ""
    seen.add(id(fn))
    module = getattr(fn, "__module__", "") or ""
    if module.startswith("csm_academy"):
        return f"{module}.{getattr(fn, '__name__', '')}"
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    names = set(code.co_names)
    for const in code.co_consts:  # nested functions and lambdas
        if hasattr(const, "co_names"):
            names |= set(const.co_names)
    scope = getattr(fn, "__globals__", {})
    for name in sorted(names):
        if name == "csm_academy":
            return "csm_academy"
        obj = scope.get(name)
        if obj is None:
            continue
        if isinstance(obj, types.ModuleType) and obj.__name__.startswith("csm_academy"):
            return obj.__name__
        if isinstance(obj, types.FunctionType):
            found = _borrowed_from_course(obj, depth + 1, seen)
            if found:
                return found
    return ""
