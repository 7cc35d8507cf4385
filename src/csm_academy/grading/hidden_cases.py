"""The hidden cases of a notebook: the unseen books each answer is judged on, and what the kernel is handed.

The books are the ones the source notebook's hidden tests name, so honest submissions get exactly the
scores plain ``nbgrader autograde`` gives. They are the same for every trainee: a trainee's own book
only sets what their check cells show, and scores never come from it.
"""

from __future__ import annotations

import ast
import pickle
from collections.abc import Callable, Mapping

import nbformat

from csm_academy.book.book import Book
from csm_academy.grading.seeds import shared_seed
from csm_academy.questions.lesson import Lesson

HIDDEN_BOOKS = 2  # unseen books per question when its source names none
HIDDEN_ACCOUNTS = 300

#: Per question id, the labelled books its answer is judged on, in order.
Cases = Mapping[str, tuple[tuple[str, Book], ...]]


def hidden_specs(source: nbformat.NotebookNode) -> dict[str, tuple[list[int], int]]:
    """Per question, the hidden seeds and book size its source notebook's hidden test asks for."""
    specs: dict[str, tuple[list[int], int]] = {}
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
                specs[qid] = ([int(s) for s in seeds], int(named.get("n_accounts", HIDDEN_ACCOUNTS)))
    return specs


def hidden_cases(
    lesson: Lesson, source: nbformat.NotebookNode, secret: bytes, book: Callable[[int, int], Book]
) -> dict[str, tuple[tuple[str, Book], ...]]:
    """Per question, the unseen books (with truth, grader side) and their edge-case variants.

    ``book(seed, n_accounts)`` makes a book, so a caller can share books between notebooks.
    """
    specs = hidden_specs(source)
    cases: dict[str, tuple[tuple[str, Book], ...]] = {}
    for question in lesson.questions:
        default = (
            [shared_seed(secret, lesson.assignment, "hidden", i) for i in range(HIDDEN_BOOKS)],
            HIDDEN_ACCOUNTS,
        )
        seeds, n_accounts = specs.get(question.qid, default)
        # Graded on unseen books only: a trainee's own book can be an unlucky draw for a judgement
        # question, and the check cell has already told them how they did on it.
        books: list[tuple[str, Book]] = []
        for i, seed in enumerate(seeds, start=1):
            full = book(seed, n_accounts)
            books.append((f"unseen book {i}", full))
            books.extend((f"unseen book {i} with {name}", variant(full)) for name, variant in question.edge_cases)
        cases[question.qid] = tuple(books)
    return cases


def kernel_inputs(lesson: Lesson, cases: Cases) -> bytes:
    """What the kernel reads (see ``questions.wire``): per question and case, the observable inputs, pickled."""
    inputs = {
        qid: [(label, lesson.question(qid).inputs(book.observable())) for label, book in books]
        for qid, books in cases.items()
    }
    return pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL)
