"""What a notebook holds: a set of questions bound to one book, with check(), hint() and solution()."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.questions.feedback import CheckFailed, Feedback, Outcome
from csm_academy.questions.question import _MISSING, Question


def user_namespace() -> dict[str, Any]:
    """The notebook's variables: the IPython user namespace, or ``__main__``'s in plain Python."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:  # plain Python (tests): the script's globals
        pass
    return vars(sys.modules["__main__"])


def _grading() -> bool:
    from csm_academy.questions.wire import grading_dir

    return grading_dir() is not None


def _nbgrader_executing() -> bool:
    return bool(os.environ.get(NBGRADER_EXECUTION))


def show(obj: Any, *, raw: bool = False) -> None:
    """Display ``obj`` in the notebook (``raw``: a mime bundle as is), or print it outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj, raw=raw)
            return
    except ImportError:
        pass
    print(obj)


#: Set by nbgrader while its validate or autograde runs a notebook ("validate" or "autograde").
NBGRADER_EXECUTION = "NBGRADER_EXECUTION"
#: Said by a graded exercise's solution(), in a trainee's session and in the grading kernel alike.
NO_SOLUTIONS = "Solutions are not shown in graded exercises: try hint(1) and hint(2) instead."
#: Said by a hidden test under `csm-academy grade`, where the grader asks for the answer itself.
RUN_BY_GRADER = "{title}: your answer will be run on unseen books by the grader."


class QuestionView:
    """One question as the trainee meets it: ``check()``, ``hint(level)`` and maybe ``solution()``."""

    def __init__(self, question: Question, owner: QuestionSet):
        self._q = question
        self._owner = owner

    @property
    def title(self) -> str:
        """The question's title."""
        return self._q.title

    def feedback(self, answer: Any = _MISSING) -> Feedback:
        """Judge the answer (by default the notebook's variable or function) without showing anything."""
        if answer is _MISSING:
            answer = user_namespace().get(self._q.answer, _MISSING)
        return self._q.evaluate(answer, self._owner.book)

    def check(self, answer: Any = _MISSING) -> None:
        """Check the answer on this notebook's book and show the feedback; under nbgrader, a wrong one fails the cell.

        In a trainee's own session a check only shows its feedback, so Run All runs every cell. nbgrader's
        validate and autograde (which set ``NBGRADER_EXECUTION``) read a failed cell as a failed test, so
        there a graded check that is not right raises. Under `csm-academy grade` the hidden part of the
        same cell must still run, so it never raises there.
        """
        feedback = self.feedback(answer)
        if self._owner.graded and feedback.outcome is not Outcome.CORRECT and _nbgrader_executing() and not _grading():
            raise CheckFailed(feedback)
        # Shown, not returned: a returned value would print twice and nbgrader would read it as a score.
        show(feedback)

    def hint(self, level: int = 1) -> None:
        """Show hint number ``level``."""
        show(self._q.hint(level))

    def solution(self) -> None:
        """Show the worked solution (teaching notebooks only; graded exercises never reveal it)."""
        if self._owner.graded:
            show(NO_SOLUTIONS)
            return
        try:
            from IPython.display import Code

            show(Code(self._q.solution_code, language="python"))
        except ImportError:
            show(self._q.solution_code)

    def __repr__(self) -> str:
        return f"<{self._q.title} ({self._q.points:g} points): call .check(), .hint(1) or .solution()>"


class QuestionSet:
    """Questions bound to one book; graded sets raise on a failed check and never show solutions."""

    def __init__(self, questions: Iterable[Question], book: Book, *, graded: bool):
        self.book = book
        self.graded = graded
        self._questions = {q.qid: q for q in questions}
        for qid, q in self._questions.items():
            setattr(self, qid, QuestionView(q, self))

    def question(self, qid: str) -> Question:
        """The question with id ``qid``."""
        return self._questions[qid]

    @property
    def total_points(self) -> float:
        """Points available across the set."""
        return sum(q.points for q in self._questions.values())

    def grade_hidden(self, qid: str, seeds: Iterable[int], n_accounts: int = 300, answer: Any = _MISSING) -> None:
        """Hidden test for question ``qid`` (see ``grade_hidden``)."""
        grade_hidden(self, qid, seeds, n_accounts, answer)

    def __repr__(self) -> str:
        return f"<{len(self._questions)} questions, {self.total_points:g} points: {', '.join(self._questions)}>"


def grade_hidden(
    questions: QuestionSet, qid: str, seeds: Iterable[int], n_accounts: int = 300, answer: Any = _MISSING
) -> None:
    """Hidden test: run the trainee's function on unseen books and edge cases; raise if any is wrong."""
    q = questions.question(qid)
    if _grading():
        # Under `csm-academy grade` the grader itself asks for this answer on unseen cases, one at a time,
        # as soon as this cell has run, and judges it outside the kernel: nothing to do here.
        show(RUN_BY_GRADER.format(title=q.title))
        return
    if answer is _MISSING:
        answer = user_namespace().get(q.answer, _MISSING)
    cases: list[tuple[str, Book]] = []
    for i, seed in enumerate(seeds, start=1):
        full = generate_book(int(seed), n_accounts)
        cases.append((f"unseen book {i}", full))
        cases.extend((f"unseen book {i} with {name}", variant(full)) for name, variant in q.edge_cases)
    feedback = None
    for label, book in cases:
        feedback = q.evaluate(answer, book, hidden=True, label=label)
        if feedback.outcome is not Outcome.CORRECT:
            raise CheckFailed(feedback)
    if feedback is None:
        raise ValueError("a hidden test needs at least one seed")
    show(feedback)
