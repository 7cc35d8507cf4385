"""The worker's one cache: kept while the context holds, replaced whole when it changes, freed with its books."""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import weakref

import nbformat
import pandas as pd
import pytest

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.grading import hidden_cases as hidden_cases_module
from csm_academy.grading.hidden_cases import Draw, hidden_cases, hidden_specs, undistinguished
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.worker_cache import CacheContext, WorkerCache
from csm_academy.lessons.registry import lesson_for
from tests import nbtools
from tests.test_grading_submission import NB, A, released_course

SECRET = b"s" * 64
ANA = Draw(SECRET, "ana", A, "run-1")
# Columns of a book's hidden truth that no handout carries (others, like value_proven, are also worked out
# from observable data).
TRUTH_COLUMNS = {"root_cause", "save_was_real", "churn_risk", "savable", "risk_was_technicality"}


@pytest.fixture
def layout(tmp_path_factory, tmp_path) -> CourseLayout:
    """A copy of the released course whose files a test may touch."""
    course = tmp_path / "course"
    shutil.copytree(released_course(tmp_path_factory), course, symlinks=True)
    return CourseLayout(course)


def _touch(path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_jobs_of_one_context_share_one_cache_and_its_notebooks(layout):
    worker = WorkerCache()
    cache = worker.for_assignment(layout, SECRET, A)
    assert worker.for_assignment(layout, SECRET, A) is cache
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
    old_source = old.notebooks(A, NB)[0]
    release = layout.release(A) / NB
    if changed == "source":  # the source is the exercises' own file: change a copy, not the repository's
        (layout.root / "source").unlink()
        shutil.copytree(nbtools.EXERCISES, layout.root / "source")
        _touch(layout.source(A) / NB)
    else:
        _touch(release)
    new = worker.for_assignment(layout, SECRET, A)
    assert new is not old and new.notebooks(A, NB)[0] is not old_source


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


def _first_books(cases) -> list[int]:
    """Each question's first unseen book, as its starting ARR (a fingerprint of the book)."""
    return [int(books[0][1].accounts["arr_start"].sum()) for books in cases.books.values()]


def test_hidden_cases_follow_the_sources_book_size_and_count_with_their_edge_cases(layout):
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    source, _ = cache.notebooks(A, NB)
    specs = hidden_specs(source)
    lesson = lesson_for(A)
    cases = cache.cases(A, NB, ANA)
    assert set(cases.books) == set(lesson.qids)
    for question in lesson.questions:
        count, n_accounts = specs[question.qid]
        labels = [label for label, _ in cases.books[question.qid]]
        edges = [f"unseen book {i} with {name}" for i in (1, 2) for name, _ in question.edge_cases]
        assert (count, n_accounts) == (2, 300)
        assert sorted(labels) == sorted(["unseen book 1", "unseen book 2", *edges])
        assert len(cases.books[question.qid][0][1].accounts) == n_accounts


def test_two_trainees_and_two_runs_are_judged_on_different_books(layout):
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    ana = _first_books(cache.cases(A, NB, ANA))
    assert _first_books(cache.cases(A, NB, ANA)) == ana  # the same draw is the same books
    ben = _first_books(cache.cases(A, NB, Draw(SECRET, "ben", A, "run-1")))
    second_run = _first_books(cache.cases(A, NB, Draw(SECRET, "ana", A, "run-2")))
    assert set(ana).isdisjoint(ben) and set(ana).isdisjoint(second_run)


def test_every_known_misconception_is_told_apart_on_the_drawn_cases(layout):
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    for run in ("run-1", "run-2", "run-3"):
        cases = cache.cases(A, NB, Draw(SECRET, "ana", A, run))
        assert cases.blind == ()
        for question in lesson_for(A).questions:
            assert undistinguished(question, cases.books[question.qid], cache.expected) == []


def test_a_draw_that_hides_a_misconception_is_noticed(layout):
    # On a book's "no churn at all" variant alone, counting logos from dollars gives the right answer.
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    question = lesson_for(A).question("q3_logo_retention")
    books = cache.cases(A, NB, ANA).books[question.qid]
    no_churn = [case for case in books if case[0].endswith("with no churn at all")]
    assert "logo_retention_from_dollars" in undistinguished(question, tuple(no_churn), cache.expected)


def test_when_no_draw_tells_a_mistake_apart_the_best_draw_is_kept_and_the_mistake_named(layout, monkeypatch):
    monkeypatch.setattr(hidden_cases_module, "MAX_DRAWS", 3)
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    lesson = lesson_for(A)
    source, _ = cache.notebooks(A, NB)
    question = lesson.question("q3_logo_retention")
    mistake = question.misconceptions[0]

    def expected(q, book):
        # A judge whose right answer is that mistake's: no book can ever tell the two apart.
        return q.compare.coerce(mistake.produce(book)) if q is question else cache.expected(q, book)

    cases = hidden_cases(lesson, source, ANA, generate_book, expected)
    assert (question.qid, mistake.id) in cases.blind
    assert {qid for qid, _ in cases.blind} == {question.qid}
    assert set(cases.books) == {q.qid for q in lesson.questions}


def test_the_case_the_kernel_is_handed_is_the_questions_inputs_from_what_a_csm_sees(layout):
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    for question in lesson_for(A).questions:
        label, book = cache.cases(A, NB, ANA).books[question.qid][-1]
        handed = pickle.loads(cache.case_bytes(question, book))
        expected = question.inputs(book.observable())
        assert len(handed) == len(expected), (question.qid, label)
        for got, want in zip(handed, expected, strict=True):
            if isinstance(want, pd.DataFrame):
                pd.testing.assert_frame_equal(got, want)
            else:
                assert got == want, (question.qid, label)
        assert cache.case_bytes(question, book) is cache.case_bytes(question, book)  # pickled once per book


def test_the_inputs_handed_to_the_kernel_hold_no_truth():
    assignment = "04_save_or_let_go"
    lesson = lesson_for(assignment)
    source = nbformat.read(nbtools.EXERCISES / assignment / f"{assignment}.ipynb", as_version=4)
    draw = Draw(SECRET, "ana", assignment, "run-1")
    cases = hidden_cases(lesson, source, draw, generate_book, lambda q, book: q.expected(book))
    for question in lesson.questions:
        label, book = cases.books[question.qid][0]
        for part in question.inputs(book.observable()):
            assert not isinstance(part, Book), question.qid  # a book would carry its seed
            assert not set(getattr(part, "columns", ())) & TRUTH_COLUMNS, (question.qid, label)


def test_expected_answers_are_computed_once_per_book(layout):
    cache = WorkerCache().for_assignment(layout, SECRET, A)
    question = lesson_for(A).question("q1_nrr")
    book = cache.cases(A, NB, ANA).books["q1_nrr"][0][1]
    assert cache.expected(question, book) is cache.expected(question, book)
    assert cache.expected(question, book) == question.expected(book)


def test_a_replaced_cache_lets_its_books_and_expected_answers_go(layout):
    worker = WorkerCache()
    old = worker.for_assignment(layout, SECRET, A)
    question = lesson_for(A).question("q1_nrr")
    book = old.cases(A, NB, ANA).books["q1_nrr"][0][1]
    old.expected(question, book)
    book_ref, cache_ref = weakref.ref(book), weakref.ref(old)
    del book, old
    _touch(layout.release(A) / NB)
    worker.for_assignment(layout, SECRET, A)
    gc.collect()
    assert cache_ref() is None and book_ref() is None
