"""The hidden cases of one submission: unseen books drawn for this trainee in this run, kept by the grader.

Each question is judged on unseen books and their edge-case variants. The books come from seeds derived
from the course secret, the trainee, the assignment and a value drawn fresh for every grading run, so
answers harvested from one trainee's run (a lookup table keyed on a book's size and sums, say) are worth
nothing for another trainee or another run. Nothing of them is written where the kernel can read it
ahead of time: the grader hands the kernel one case's inputs when it asks for that case's answer.

A random book can let a known wrong answer pass (all expansion and no churn, say, makes NRR and GRR
agree), so a draw is kept only when every misconception of every question it serves is told apart from
the right answer on at least one of that question's cases; the source notebook's book size and count
still apply, so honest submissions score as they do under plain ``nbgrader autograde``.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import nbformat

from csm_academy.book.book import Book
from csm_academy.grading.seeds import hidden_seed
from csm_academy.questions.compare import WrongShape
from csm_academy.questions.lesson import Lesson
from csm_academy.questions.question import Question

HIDDEN_BOOKS = 2  # unseen books per question when its source names none
HIDDEN_ACCOUNTS = 300
MAX_DRAWS = 24  # draws tried before keeping the one that tells the most misconceptions apart

#: Per question id, the labelled books its answer is judged on, in order.
Cases = Mapping[str, tuple[tuple[str, Book], ...]]
#: The question's coerced reference answer on a book (the grader's cache).
Expected = Callable[[Question, Book], object]


@dataclass(frozen=True)
class Draw:
    """Who and which run a submission's hidden books are drawn for."""

    secret: bytes
    trainee: str
    assignment: str
    run_id: str


@dataclass(frozen=True)
class HiddenCases:
    """One submission's cases, and the misconceptions no drawn case told apart (empty when all were)."""

    books: dict[str, tuple[tuple[str, Book], ...]]
    blind: tuple[tuple[str, str], ...] = ()  # (question id, misconception id)


def hidden_specs(source: nbformat.NotebookNode) -> dict[str, tuple[int, int]]:
    """Per question, how many unseen books and of what size its source notebook's hidden test asks for."""
    specs: dict[str, tuple[int, int]] = {}
    for cell in source.cells:
        if cell.cell_type != "code" or "grade_hidden" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "grade_hidden" and node.args:
                qid = ast.literal_eval(node.args[0])
                named = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ("seeds", "n_accounts")}
                seeds = named.get("seeds", ast.literal_eval(node.args[1]) if len(node.args) > 1 else [])
                specs[qid] = (len(list(seeds)) or HIDDEN_BOOKS, int(named.get("n_accounts", HIDDEN_ACCOUNTS)))
    return specs


def hidden_cases(
    lesson: Lesson,
    source: nbformat.NotebookNode,
    draw: Draw,
    book: Callable[[int, int], Book],
    expected: Expected,
) -> HiddenCases:
    """Per question, the unseen books (with truth, grader side) and their edge-case variants for this draw.

    Questions asking for the same number and size of books share one draw, and so one set of books.
    """
    specs = hidden_specs(source)
    groups: dict[tuple[int, int], list[Question]] = {}
    for question in lesson.questions:
        groups.setdefault(specs.get(question.qid, (HIDDEN_BOOKS, HIDDEN_ACCOUNTS)), []).append(question)
    books: dict[str, tuple[tuple[str, Book], ...]] = {}
    blind: list[tuple[str, str]] = []
    for (count, n_accounts), questions in groups.items():
        # The question that failed most often in this process goes first, so a draw that will be refused
        # is refused after one question's checks, not after all of them.
        questions = sorted(questions, key=lambda q: -_FAILURES[q.qid])

        def draw_cases(attempt: int, questions=questions, count=count, n_accounts=n_accounts) -> dict:
            seeds = [
                hidden_seed(draw.secret, draw.trainee, draw.assignment, draw.run_id, n_accounts, attempt, i)
                for i in range(count)
            ]
            full = [book(seed, n_accounts) for seed in seeds]
            variants: dict[tuple[int, object], Book] = {}  # one variant book per transform, shared by questions
            return {q.qid: _cases_of(q, full, variants) for q in questions}

        kept = None
        for attempt in range(MAX_DRAWS):
            cases = draw_cases(attempt)
            failed = _first_failure(questions, cases, expected)
            if failed is None:
                kept = (cases, [])
                break
            _FAILURES[failed] += 1
        if kept is None:
            # No draw told everything apart (rare): keep the one that told the most, naming what it missed.
            kept = _best_of(questions, [draw_cases(attempt) for attempt in range(MAX_DRAWS)], expected)
        books.update(kept[0])
        blind += kept[1]
    return HiddenCases({q.qid: books[q.qid] for q in lesson.questions}, tuple(blind))


#: Per question id, how often it refused a draw in this process (orders the checks; never changes the outcome).
_FAILURES: Counter[str] = Counter()


def _first_failure(questions: list[Question], cases: Cases, expected: Expected) -> str | None:
    """The first question the cases cannot judge, or cannot tell one of its misconceptions apart on; else None."""
    for q in questions:
        if not _answerable(q, cases[q.qid], expected) or undistinguished(q, cases[q.qid], expected, first_only=True):
            return q.qid
    return None


def _best_of(questions: list[Question], draws: list[dict], expected: Expected) -> tuple[dict, list[tuple[str, str]]]:
    """The draw with fewest questions it cannot judge, then fewest misconceptions it misses, and what it misses."""
    best: tuple[tuple[int, int], dict, list[tuple[str, str]]] | None = None
    for cases in draws:
        unusable = [q.qid for q in questions if not _answerable(q, cases[q.qid], expected)]
        missed = [] if unusable else [(q.qid, m) for q in questions for m in undistinguished(q, cases[q.qid], expected)]
        score = (len(unusable), len(missed))
        if best is None or score < best[0]:
            best = (score, cases, missed)
    assert best is not None
    if best[0][0]:
        raise ValueError(f"no draw of {MAX_DRAWS} unseen books had a right answer for every question")
    return best[1], best[2]


def _cases_of(
    question: Question, full: list[Book], variants: dict[tuple[int, object], Book]
) -> tuple[tuple[str, Book], ...]:
    cases: list[tuple[str, Book]] = []
    for i, whole in enumerate(full, start=1):
        cases.append((f"unseen book {i}", whole))
        for name, variant in question.edge_cases:
            # The same transform of the same book is one object, so its views and answers are built once.
            if (i, variant) not in variants:
                variants[(i, variant)] = variant(whole)
            cases.append((f"unseen book {i} with {name}", variants[(i, variant)]))
    return tuple(cases)


def _answerable(question: Question, cases: tuple[tuple[str, Book], ...], expected: Expected) -> bool:
    try:
        for _, book in cases:
            expected(question, book)
    except (ValueError, ZeroDivisionError, KeyError, IndexError):
        return False
    return True


def undistinguished(
    question: Question, cases: tuple[tuple[str, Book], ...], expected: Expected, *, first_only: bool = False
) -> list[str]:
    """The question's misconceptions that give the right answer on every one of ``cases`` (``first_only``: the first).

    Such a wrong answer would pass, or fail without its own message. A misconception that cannot be
    produced on a case (it raises there) does not count as told apart there: the judge could not name it.
    """
    missed = []
    for misconception in question.misconceptions:
        if not any(_tells_apart(question, misconception.produce, book, expected) for _, book in cases):
            missed.append(misconception.id)
            if first_only:
                break
    return missed


def _tells_apart(question: Question, produce: Callable[[Book], object], book: Book, expected: Expected) -> bool:
    try:
        wrong = question.compare.coerce(produce(book))
    except (WrongShape, ValueError, ZeroDivisionError):
        return False
    return not question.compare.same(wrong, expected(question, book))
