"""A question is a small object: what to call, how to compare, and the wrong answers it knows by name."""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from csm_academy.book.book import Book
from csm_academy.questions.compare import Comparator, WrongShape
from csm_academy.questions.feedback import Feedback, Hint, Outcome
from csm_academy.questions.memo import handed, observed

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
    compare: Comparator
    misconceptions: tuple[Misconception, ...] = ()
    hints: tuple[str, ...] = ()
    wrong: str = "That is not the figure the book gives."  # said when no known misconception matches
    solution_code: str = ""  # shown by solution() in teaching notebooks only
    kind: str = "function"  # "function": the trainee defines it; "value": the trainee assigns a result
    edge_cases: tuple[tuple[str, BookVariant], ...] = field(default_factory=tuple)
    revisit: str = ""  # the heading (no leading #'s) of the teaching notebook's section that teaches this question

    def as_practice(self, solution_code: str) -> Question:
        """The same question, ungraded, for a teaching notebook, with a worked solution to show."""
        return replace(
            self,
            qid="p_" + self.qid.split("_", 1)[1],
            title=f"Practice: {self.title.split(' ', 1)[1]}",
            points=0,
            solution_code=solution_code,
        )

    def hint(self, level: int = 1) -> Hint:
        """Hint number ``level`` (1 is the gentlest)."""
        return hint_of(self.title, self.hints, level)

    def evaluate(self, candidate: Any, book: Book, *, hidden: bool = False, label: str = "") -> Feedback:
        """Run the trainee's function on ``book`` and judge the result against the reference."""
        attempt = self.run(candidate, lambda: handed(self.inputs, observed(book)))
        return self.judge(attempt, book, hidden=hidden, label=label)

    def run(self, candidate: Any, inputs: Callable[[], tuple]) -> Attempt:
        """Run the trainee's answer on the inputs (trainee side: needs no reference and no truth)."""
        return run_answer(candidate, self.kind, inputs)

    def judge(
        self, attempt: Attempt, book: Book, *, hidden: bool = False, label: str = "", expected: Any = None
    ) -> Feedback:
        """Turn an attempt into feedback, comparing against the reference computed from ``book``.

        ``expected`` is the already coerced reference for ``book``, when the caller has it cached.
        """
        where = f" on {label}" if label else ""

        def fb(outcome: Outcome, message: str, misconception: str | None = None) -> Feedback:
            points = self.points if outcome is Outcome.CORRECT else 0.0
            return Feedback(self.qid, self.title, outcome, message, points, self.points, misconception, hidden)

        status = attempt.status
        if status == "missing":
            if self.kind == "value":
                return fb(Outcome.NOT_ATTEMPTED, f"Replace the `...` after `{self.answer} =` with your answer.")
            return fb(Outcome.NOT_ATTEMPTED, f"Define a function called `{self.answer}` in the answer cell above.")
        if status == "not_implemented":
            return fb(Outcome.NOT_ATTEMPTED, "Replace `raise NotImplementedError()` with your own code.")
        if status == "not_callable":
            return fb(
                Outcome.INCORRECT,
                f"`{self.answer}` should be a function (def {self.answer}(...): ...), not a fixed value: "
                "it will be run on other books of accounts.",
                "not_a_function",
            )
        if status == "borrowed":
            return fb(
                Outcome.INCORRECT,
                f"`{self.answer}` calls the course's own code ({attempt.detail}); write the calculation yourself.",
                "borrowed_reference",
            )
        if status == "error":
            return fb(
                Outcome.INCORRECT, f"Your function stopped with an error{where}: {attempt.detail}", "raised_error"
            )
        if status == "none":
            return fb(
                Outcome.INCORRECT,
                "Your function returned nothing. Did you forget a `return` statement?",
                "returned_none",
            )
        if status != "ok":
            return fb(Outcome.INCORRECT, f"The answer could not be read ({status}).", "unreadable")
        return self._judge(attempt.result, book, fb, where, hidden, expected)

    def expected(self, book: Book) -> Any:
        """The reference answer for ``book``, coerced for comparison."""
        return self.compare.coerce(self.reference(book))

    def _judge(
        self, result: Any, book: Book, fb: Callable[..., Feedback], where: str, hidden: bool, expected: Any = None
    ) -> Feedback:
        try:
            got = self.compare.coerce(result)
        except WrongShape as exc:
            return fb(Outcome.INCORRECT, f"The result of `{self.answer}` {exc}.", "wrong_shape")
        if expected is None:
            expected = self.expected(book)
        if self.compare.same(got, expected):
            return fb(Outcome.CORRECT, _praise(self, hidden))
        for m in self.misconceptions:
            try:
                wrong = self.compare.coerce(m.produce(book))
            except (WrongShape, ValueError, ZeroDivisionError):
                continue
            if not self.compare.same(wrong, expected) and self.compare.same(got, wrong):
                return fb(Outcome.INCORRECT, m.message, m.id)
        detail = self.compare.explain(got, expected)
        return fb(Outcome.INCORRECT, self.wrong + (f" (checked{where})" if where else "") + detail)


@dataclass(frozen=True)
class Attempt:
    """What running a trainee's answer produced: a status, the result if any, and a detail line."""

    status: str  # ok, missing, not_callable, borrowed, not_implemented, error, none
    result: Any = None
    detail: str = ""


_MISSING = object()


def hint_of(title: str, hints: tuple[str, ...], level: int) -> Hint:
    """Hint number ``level`` of ``hints``; past the last, a note that there are no more, and the last again."""
    if not hints:
        return Hint(title, 1, 1, "There are no hints for this one: re-read the task above.")
    level = max(int(level), 1)
    if level > len(hints):
        last = len(hints)
        again = f"There are no more hints: hint({last}) was the last. Here it is again. {hints[-1]}"
        return Hint(title, last, last, again)
    return Hint(title, level, len(hints), hints[level - 1])


def run_answer(candidate: Any, kind: str, inputs: Callable[[], tuple]) -> Attempt:
    """Run a trainee's answer (a function, or a value when ``kind`` is "value") on the inputs."""
    if kind == "value":
        if candidate is _MISSING or candidate is Ellipsis:
            return Attempt("missing")
        return Attempt("ok", candidate)
    if candidate is _MISSING:
        return Attempt("missing")
    if not callable(candidate):
        return Attempt("not_callable")
    borrowed = _borrowed_from_course(candidate)
    if borrowed:
        return Attempt("borrowed", detail=borrowed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = candidate(*inputs())
    except NotImplementedError:
        return Attempt("not_implemented")
    except Exception as exc:  # the trainee's code failed: say how, in one line
        return Attempt("error", detail=f"{type(exc).__name__}: {str(exc)[:200]}")
    return Attempt("none") if result is None else Attempt("ok", result)


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
