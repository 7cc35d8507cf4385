"""What checking and judging cost, per question, with no kernel: the figures tests do not assert.

Run: python benchmarks/bench_judging.py [--assignment 01_nrr_math] [--repeat 3]
For each lesson (or one), with the reference answers from its source notebook, it prints:
- check: one question's check on the trainee's own book, as the notebook's check cell runs it;
- draw: the unseen books drawn for one submission, with the expected answers and the check that every
  known misconception is told apart on them (grader side, once per submission);
- edition: the trainee's own handouts the grader works out and hands to the sandbox (once per submission);
- judge: judging that submission's answer on every hidden case, with the draw's expected answers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from csm_academy.book.generate import generate_book  # noqa: E402
from csm_academy.grading.hidden_cases import Draw, hidden_cases  # noqa: E402
from csm_academy.lessons.registry import LESSONS, lesson_for  # noqa: E402
from csm_academy.questions import wire  # noqa: E402
from csm_academy.questions.edition import edition_of  # noqa: E402
from csm_academy.questions.memo import Memo  # noqa: E402
from csm_academy.questions.question import Attempt  # noqa: E402
from tests import nbtools  # noqa: E402

SECRET = b"benchmark secret"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _received(question, answer, books) -> list[Attempt]:
    """The answer run on every case (the kernel's part), as the judge gets it back over the wire."""
    attempts = []
    for _, book in books:
        attempt = question.run(answer, lambda book=book: question.inputs(book.observable()))
        sent = wire.decode(wire.encode(attempt.result)) if attempt.status == "ok" else None
        attempts.append(Attempt(attempt.status, sent, attempt.detail))
    return attempts


def _judge_all(question, attempts: list[Attempt], books, expected: Memo) -> float:
    """Seconds to judge one submission's results on every case (the grader's part)."""
    start = time.perf_counter()
    for attempt, (label, book) in zip(attempts, books, strict=True):
        reference = expected.get(book, question.qid, lambda book=book: question.expected(book))
        question.judge(attempt, book, hidden=True, label=label, expected=reference)
    return time.perf_counter() - start


def bench(assignment: str, repeat: int) -> None:
    """Print the figures of one lesson."""
    lesson = lesson_for(assignment)
    path = nbtools.EXERCISES / assignment / f"{assignment}.ipynb"
    source = nbformat.read(path, as_version=4)
    answers = nbtools.exec_answers(nbtools.reference_code(nbtools.load(path)))
    exercise = lesson.exercise()

    expected = Memo()

    def expected_of(question, book):
        return expected.get(book, question.qid, lambda: question.expected(book))

    draws = []
    for run in range(repeat):
        start = time.perf_counter()
        drawn = hidden_cases(
            lesson, source, Draw(SECRET, "trainee", assignment, f"run-{run}"), generate_book, expected_of
        )
        draws.append(time.perf_counter() - start)
    cases = drawn.books
    start = time.perf_counter()
    edition_of(lesson, generate_book(lesson.seed, lesson.accounts).observable())
    edition = time.perf_counter() - start
    n_cases = sum(len(books) for books in cases.values())
    print(f"\n{assignment}: {len(lesson.questions)} questions, {n_cases} hidden cases")
    print(f"  draw {_ms(statistics.median(draws))} (books, expected answers, misconceptions told apart)")
    print(f"  edition {_ms(edition)} (the trainee's own handouts)")
    print(f"  {'question':34s} {'check':>11s} {'judge':>11s}")
    checks = []
    for question in lesson.questions:
        answer = answers[question.answer]
        check = []
        for _ in range(repeat):
            start = time.perf_counter()
            exercise.question(question.qid).evaluate(answer, exercise.book)
            check.append(time.perf_counter() - start)
        books = cases[question.qid]
        attempts = _received(question, answer, books)
        judged = statistics.median(_judge_all(question, attempts, books, expected) for _ in range(repeat))
        checks.append(statistics.median(check))
        print(f"  {question.qid:34s} {_ms(checks[-1])} {_ms(judged)}")
    print(f"  slowest check {_ms(max(checks))}, mean {_ms(statistics.mean(checks))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", help="one lesson (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is printed (default 3)")
    args = parser.parse_args()
    for assignment in [args.assignment] if args.assignment else [lesson.assignment for lesson in LESSONS]:
        bench(assignment, args.repeat)


if __name__ == "__main__":
    main()
