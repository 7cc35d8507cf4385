"""The worker's one cache: kept while the context holds, replaced whole when it changes, freed with its books."""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import weakref

import pytest

from csm_academy.grading.hidden_cases import hidden_specs
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.worker_cache import CacheContext, WorkerCache
from csm_academy.lessons.registry import lesson_for
from tests import nbtools
from tests.test_grading_submission import NB, A, released_course

SECRET = b"s" * 64


@pytest.fixture
def layout(tmp_path_factory, tmp_path) -> CourseLayout:
    """A copy of the released course whose files a test may touch."""
    course = tmp_path / "course"
    shutil.copytree(released_course(tmp_path_factory), course, symlinks=True)
    return CourseLayout(course)


def _touch(path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_jobs_of_one_context_share_one_cache_and_its_cases(layout):
    worker = WorkerCache()
    cache = worker.for_assignment(layout, SECRET, A)
    assert worker.for_assignment(layout, SECRET, A) is cache
    assert cache.cases(A, NB) is cache.cases(A, NB)
    assert cache.notebooks(A, NB) is cache.notebooks(A, NB)


def test_the_context_names_the_course_the_secret_and_every_notebook_file(layout):
    context = CacheContext.of(layout, SECRET, A)
    assert context.course_root == str(layout.root)
    assert SECRET.decode() not in repr(context)  # a hash of the secret, never the secret
    assert [path for path, _, _ in context.stamps] == [str(layout.source(A) / NB), str(layout.release(A) / NB)]


@pytest.mark.parametrize("changed", ["source", "release"])
def test_a_regenerated_notebook_replaces_the_whole_cache(layout, changed):
    worker = WorkerCache()
    old = worker.for_assignment(layout, SECRET, A)
    old_cases = old.cases(A, NB)
    release = layout.release(A) / NB
    if changed == "source":  # the source is the exercises' own file: change a copy, not the repository's
        (layout.root / "source").unlink()
        shutil.copytree(nbtools.EXERCISES, layout.root / "source")
        _touch(layout.source(A) / NB)
    else:
        _touch(release)
    new = worker.for_assignment(layout, SECRET, A)
    assert new is not old and new.cases(A, NB) is not old_cases


def test_another_secret_or_course_replaces_the_whole_cache(layout, tmp_path):
    worker = WorkerCache()
    first = worker.for_assignment(layout, SECRET, A)
    assert worker.for_assignment(layout, b"another secret", A) is not first
    other = CourseLayout(tmp_path / "other")
    shutil.copytree(layout.root, other.root, symlinks=True)
    second = worker.for_assignment(other, b"another secret", A)
    assert second is not first and worker.for_assignment(other, b"another secret", A) is second


def test_a_missing_release_is_an_error_not_a_stale_cache(layout):
    worker = WorkerCache()
    worker.for_assignment(layout, SECRET, A)
    (layout.release(A) / NB).unlink()
    with pytest.raises(FileNotFoundError):
        worker.for_assignment(layout, SECRET, A)


def test_hidden_cases_are_the_books_the_source_names_with_their_edge_cases(layout):
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    source, _ = cache.notebooks(A, NB)
    specs = hidden_specs(source)
    lesson = lesson_for(A)
    cases = cache.cases(A, NB)
    assert set(cases.books) == set(lesson.qids)
    for question in lesson.questions:
        (seed, *_), n_accounts = specs[question.qid]
        labels = [label for label, _ in cases.books[question.qid]]
        edges = [f"unseen book 1 with {name}" for name, _ in question.edge_cases]
        assert labels[: 1 + len(edges)] == ["unseen book 1", *edges]
        assert cases.books[question.qid][0][1] is cache.book(seed, n_accounts)  # one book, shared by questions


def test_the_kernel_inputs_hold_observable_inputs_for_every_case(layout):
    cases = WorkerCache().for_assignment(layout, SECRET, A).cases(A, NB)
    inputs = pickle.loads(cases.kernel_inputs)
    assert {qid: [label for label, _ in rows] for qid, rows in inputs.items()} == {
        qid: [label for label, _ in books] for qid, books in cases.books.items()
    }
    # The kernel never gets what really happened: no truth table, no column of it.
    assert b"root_cause" not in cases.kernel_inputs and b"save_was_real" not in cases.kernel_inputs


def test_expected_answers_are_computed_once_per_book(layout):
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    question = lesson_for(A).question("q1_nrr")
    book = cache.cases(A, NB).books["q1_nrr"][0][1]
    assert cache.expected(question, book) is cache.expected(question, book)
    assert cache.expected(question, book) == question.expected(book)


def test_a_replaced_cache_lets_its_books_and_expected_answers_go(layout):
    worker = WorkerCache()
    old = worker.for_assignment(layout, SECRET, A)
    question = lesson_for(A).question("q1_nrr")
    book = old.cases(A, NB).books["q1_nrr"][0][1]
    old.expected(question, book)
    book_ref, cache_ref = weakref.ref(book), weakref.ref(old)
    del book, old
    _touch(layout.release(A) / NB)
    worker.for_assignment(layout, SECRET, A)
    gc.collect()
    assert cache_ref() is None and book_ref() is None
