"""How long each question's check takes, per lesson: what a trainee waits on after pressing Run.

Run: python benchmarks/bench_checks.py [--lesson 01_nrr_math] [--repeat 5] [--no-hidden]

For every lesson in the registry, the exercise notebook's setup cell and reference answers run in one
namespace, as in the notebook. Then, per question, the script times the trainee's check
(``ex.<qid>.check()`` without the display): the first call on the book (cold: the reference is computed
and cached) and the median of ``--repeat`` further calls (warm). Unless ``--no-hidden``, it also times the
question's hidden test as the exercise's test cell calls it (books generated from the hidden seeds), which
is what nbgrader spends per cell when grading. It prints one table per lesson and the mean check time
against the course's target of half a second per check. It never fails on time.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from csm_academy.lessons.registry import LESSONS  # noqa: E402
from csm_academy.questions.lesson import Lesson  # noqa: E402
from tests import nbtools  # noqa: E402

#: The bar a check should stay well under (tests used to assert it; now it is reported here).
TARGET_SECONDS = 0.5


@dataclass(frozen=True)
class Timing:
    """One question's figures, in seconds."""

    qid: str
    correct: bool
    cold: float
    warm: float
    hidden: float | None


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def notebook_namespace(lesson: Lesson) -> dict[str, Any]:
    """The exercise's setup cell and reference answers, run in one namespace as the notebook runs them."""
    source = nbtools.load(nbtools.EXERCISES / lesson.assignment / f"{lesson.assignment}.ipynb")
    setup = next(nbtools.source(c) for c in source["cells"] if nbtools.nbgrader_meta(c).get("grade_id") == "setup")
    return nbtools.exec_answers({"setup": setup, **nbtools.reference_code(source)})


def hidden_calls(lesson: Lesson) -> dict[str, dict[str, Any]]:
    """Each question's ``grade_hidden`` keyword arguments (seeds, book size), read from its test cell."""
    source = nbtools.load(nbtools.EXERCISES / lesson.assignment / f"{lesson.assignment}.ipynb")
    calls: dict[str, dict[str, Any]] = {}
    for cell in source["cells"]:
        if not (nbtools.nbgrader_meta(cell).get("grade") and cell["cell_type"] == "code"):
            continue
        for node in ast.walk(ast.parse(nbtools.source(cell))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "grade_hidden":
                qid = ast.literal_eval(node.args[0])
                calls[qid] = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    return calls


def time_lesson(lesson: Lesson, repeat: int, hidden: bool) -> list[Timing]:
    """Time every question of ``lesson``: cold check, warm check (median), and its hidden test."""
    namespace = notebook_namespace(lesson)
    ex = namespace["ex"]
    calls = hidden_calls(lesson) if hidden else {}
    timings = []
    for question in lesson.questions:
        view = getattr(ex, question.qid)
        answer = namespace[question.answer]
        cold, feedback = _timed(lambda view=view, answer=answer: view.feedback(answer))
        warm = statistics.median(
            _timed(lambda view=view, answer=answer: view.feedback(answer))[0] for _ in range(repeat)
        )
        hidden_seconds = None
        if question.qid in calls:
            kwargs = calls[question.qid]
            with contextlib.redirect_stdout(io.StringIO()):  # it prints its verdict outside a notebook
                hidden_seconds, _ = _timed(
                    lambda q=question.qid, a=answer, kw=kwargs: ex.grade_hidden(q, answer=a, **kw)  # raises if wrong
                )
        timings.append(Timing(question.qid, feedback.correct, cold, warm, hidden_seconds))
    return timings


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f}"


def print_table(lesson: Lesson, timings: list[Timing]) -> None:
    """One lesson's figures as a plain-text table, with the mean against the target."""
    print(f"\n{lesson.assignment}  ({lesson.accounts} accounts in the trainee's book)")
    print(f"  {'question':<30} {'right':>5} {'check cold ms':>14} {'check warm ms':>14} {'hidden test ms':>15}")
    for t in timings:
        right = "yes" if t.correct else "NO"
        print(f"  {t.qid:<30} {right:>5} {_ms(t.cold):>14} {_ms(t.warm):>14} {_ms(t.hidden):>15}")
    cold_mean = statistics.mean(t.cold for t in timings)
    worst = max(timings, key=lambda t: t.cold)
    verdict = "within" if cold_mean < TARGET_SECONDS else "OVER"
    print(
        f"  mean cold check {cold_mean * 1000:,.0f} ms per question: {verdict} the {TARGET_SECONDS * 1000:.0f} ms "
        f"target; slowest {worst.qid} at {worst.cold * 1000:,.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Time every question's check in the chosen lessons and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", action="append", help="an assignment id (repeatable; default: every lesson)")
    parser.add_argument("--repeat", type=int, default=5, help="warm calls per question (median reported)")
    parser.add_argument("--no-hidden", action="store_true", help="skip the hidden tests (the slow part)")
    args = parser.parse_args(argv)
    chosen = [lesson for lesson in LESSONS if not args.lesson or lesson.assignment in args.lesson]
    if not chosen:
        parser.error(f"no lesson among {', '.join(args.lesson)}; known: {', '.join(x.assignment for x in LESSONS)}")
    print(f"python {sys.version.split()[0]}; checks run on each lesson's default trainee book")
    for lesson in chosen:
        lesson_seconds, timings = _timed(lambda lesson=lesson: time_lesson(lesson, args.repeat, not args.no_hidden))
        print_table(lesson, timings)
        parts = "setup cell and checks" + ("" if args.no_hidden else " and hidden tests")
        print(f"  whole lesson, {parts}: {lesson_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
