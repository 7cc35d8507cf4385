"""What a grading process keeps between submissions, owned by one object with one eviction rule.

Every submission of a notebook shares the source and release, read once per process. Hidden books are
drawn for each submission (see ``hidden_cases``) and live as long as its grading; the expected answers
on them are kept exactly as long as their books. A Dask worker outlives a run, so the next run may grade
another course, another secret or a regenerated assignment. The rule: a cache serves one context (course
root, secret, the notebook files' stamps), and when a job's context differs the whole cache is replaced,
never patched.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.grading.hidden_cases import Draw, HiddenCases, hidden_cases
from csm_academy.grading.layout import CourseLayout
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions.memo import Memo, shared_view
from csm_academy.questions.question import Question


@dataclass(frozen=True)
class CacheContext:
    """What cached values are built from: the course, its secret, and the assignment's notebook files."""

    course_root: str
    secret_sha256: str
    stamps: tuple[tuple[str, int, int], ...]  # (path, mtime_ns, size) of every source and release notebook

    @classmethod
    def of(cls, layout: CourseLayout, secret: bytes, assignment: str) -> CacheContext:
        """The context of grading ``assignment`` now (a missing release raises FileNotFoundError)."""
        paths: list[Path] = []
        for notebook in layout.notebooks(assignment):
            paths += [layout.source(assignment) / notebook, layout.release(assignment) / notebook]
        stamps = []
        for path in paths:
            stat = path.stat()
            stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
        return cls(str(layout.root), hashlib.sha256(secret).hexdigest(), tuple(stamps))


class GradingCache:
    """Sources and releases, and expected answers on the books being graded, for one context only."""

    def __init__(self, context: CacheContext, layout: CourseLayout, secret: bytes):
        self.context = context
        self._layout = layout
        self._secret = secret
        self._lock = threading.RLock()
        self._notebooks: dict[tuple[str, str], tuple[nbformat.NotebookNode, nbformat.NotebookNode]] = {}
        # Keyed on the book objects themselves: an expected answer (and a pickled case) lives exactly as long
        # as its book.
        self._expected = Memo()

    def notebooks(self, assignment: str, notebook: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
        """The source and release of a notebook, read once."""
        with self._lock:
            key = (assignment, notebook)
            if key not in self._notebooks:
                self._notebooks[key] = (
                    nbformat.read(self._layout.source(assignment) / notebook, as_version=4),
                    nbformat.read(self._layout.release(assignment) / notebook, as_version=4),
                )
            return self._notebooks[key]

    def cases(self, assignment: str, notebook: str, draw: Draw) -> HiddenCases:
        """A notebook's hidden cases for one trainee in one run (drawn afresh: never shared)."""
        lesson = lesson_for(assignment)
        source, _ = self.notebooks(assignment, notebook)
        return hidden_cases(lesson, source, draw, generate_book, self.expected)

    def case_bytes(self, question: Question, book: Book) -> bytes:
        """What ``question`` hands the trainee's answer from ``book``, pickled once per book for every ask."""
        return self._expected.get(
            book,
            ("case", question.inputs),
            lambda: pickle.dumps(shared_view(question.inputs, book), protocol=pickle.HIGHEST_PROTOCOL),
        )

    def expected(self, question: Question, book: Book) -> Any:
        """The question's coerced reference answer on ``book``, computed once per book while it lives."""
        return self._expected.get(book, question.qid, lambda: question.expected(book))


class WorkerCache:
    """The one ``GradingCache`` of a process: kept while jobs share its context, replaced whole otherwise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: GradingCache | None = None

    def for_assignment(self, layout: CourseLayout, secret: bytes, assignment: str) -> GradingCache:
        """The cache for grading ``assignment`` of ``layout`` with ``secret`` now."""
        context = CacheContext.of(layout, secret, assignment)
        with self._lock:
            if self._current is None or self._current.context != context:
                self._current = GradingCache(context, layout, secret)
            return self._current
