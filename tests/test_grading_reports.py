"""Reports from typed records: grades.csv, feedback pages and the cohort page (no kernels)."""

from __future__ import annotations

import csv

import pytest

from csm_academy.grading.records import GradeRecord, Job, QuestionResult, Status
from csm_academy.grading.reports import feedback_page, grades_table, write_reports
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions.feedback import Outcome

A = "01_nrr_math"
NB = f"{A}.ipynb"
QUESTIONS = lesson_for(A).questions
TOTAL = sum(q.points for q in QUESTIONS)


def _results(wrong: dict[str, str] | None = None, stopped: str = "") -> list[QuestionResult]:
    """Every question right, except those in ``wrong`` (question id -> misconception) and the one ``stopped``."""
    wrong = wrong or {}
    results = []
    for q in QUESTIONS:
        if stopped and q.qid.startswith(stopped):
            message = "Not graded: the notebook stopped before this question ran."
            results.append(QuestionResult(q.qid, q.title, Outcome.NOT_ATTEMPTED, message, 0.0, float(q.points)))
            continue
        results.append(
            QuestionResult(
                q.qid,
                q.title,
                Outcome.INCORRECT if q.qid in wrong else Outcome.CORRECT,
                f"Not quite <{q.qid}>." if q.qid in wrong else "Right.",
                0.0 if q.qid in wrong else float(q.points),
                float(q.points),
                wrong.get(q.qid),
                True,
            )
        )
    return results


def _record(trainee: str, status: Status, detail: str = "", questions=()) -> GradeRecord:
    return GradeRecord.of(Job(trainee, A, NB), status, detail, sha256="0" * 64, questions=questions, seconds=1.0)


@pytest.fixture
def records() -> list[GradeRecord]:
    return [
        _record("eve", Status.TAMPERED, "locked cell 'q2_grr' was edited", _results()),
        _record("ana", Status.GRADED, questions=_results()),
        _record("ben", Status.GRADED, questions=_results({"q2_grr": "grr_includes_expansion"})),
        # A kernel that hung in Q7: what it answered before counts, the task it stopped scores zero.
        _record("cid", Status.TIMED_OUT, "a cell ran longer than 8 s, in Q7 (its answer cell)", _results(stopped="q7")),
        _record("dee", Status.UNREADABLE, "the file is not valid JSON (line 1: Expecting value)"),
    ]


def _rows(folder) -> dict[str, dict[str, str]]:
    with (folder / "grades.csv").open() as fh:
        return {row["trainee"]: row for row in csv.DictReader(fh)}


def test_grades_csv_has_one_row_per_trainee_with_the_known_columns(records, tmp_path):
    write_reports(records, A, tmp_path)
    with (tmp_path / "grades.csv").open() as fh:
        header = next(csv.reader(fh))
    assert header == [
        "trainee",
        "assignment",
        "status",
        "detail",
        *[q.qid for q in QUESTIONS],
        "total",
        "max_total",
    ] + ["misconceptions"]
    rows = _rows(tmp_path)
    assert list(rows) == ["ana", "ben", "cid", "dee", "eve"]  # in name order
    assert {t: r["status"] for t, r in rows.items()} == {
        "ana": "graded",
        "ben": "graded",
        "cid": "timed out",
        "dee": "could not be read",
        "eve": "tampered",
    }


def test_scored_rows_show_each_question_and_the_total(records, tmp_path):
    write_reports(records, A, tmp_path)
    rows = _rows(tmp_path)
    lost = next(q.points for q in QUESTIONS if q.qid == "q2_grr")
    assert float(rows["ana"]["total"]) == TOTAL and float(rows["eve"]["total"]) == TOTAL
    assert float(rows["ben"]["total"]) == TOTAL - lost and float(rows["ben"]["q2_grr"]) == 0
    assert rows["ben"]["misconceptions"] == "grr_includes_expansion"
    assert all(float(r["max_total"]) == TOTAL for r in rows.values())


def test_a_submission_that_could_not_be_read_shows_no_scores_never_zeros(records, tmp_path):
    write_reports(records, A, tmp_path)
    rows = _rows(tmp_path)
    assert rows["dee"]["total"] == "" and all(rows["dee"][q.qid] == "" for q in QUESTIONS)
    assert rows["dee"]["detail"] == "the file is not valid JSON (line 1: Expecting value)"


def test_a_submission_that_stopped_keeps_what_it_earned_and_scores_zero_for_the_stopped_task(records, tmp_path):
    write_reports(records, A, tmp_path)
    row = _rows(tmp_path)["cid"]
    stopped = next(q for q in QUESTIONS if q.qid.startswith("q7"))
    assert float(row[stopped.qid]) == 0 and float(row["total"]) == TOTAL - stopped.points
    assert row["status"] == "timed out" and row["detail"].endswith("in Q7 (its answer cell)")


def test_the_table_holds_plain_status_words():
    table = grades_table([_record("ana", Status.KERNEL_DIED, "the kernel stopped")], A)
    assert table.loc[0, "status"] == "kernel died" and type(table.loc[0, "status"]) is str


def test_a_feedback_page_gives_points_and_words_escaped(records):
    page = feedback_page(records[2], A)  # ben
    assert f"Automatically graded: {TOTAL - 2:g} of {TOTAL:g} points." in page
    assert "Not quite &lt;q2_grr&gt;." in page and "<q2_grr>" not in page


def test_a_feedback_page_for_an_unreadable_file_says_it_is_not_a_zero(records):
    page = feedback_page(records[4], A)  # dee, could not be read
    assert "could not be graded</strong> (could not be read): the file is not valid JSON" in page
    assert "this is not a score of zero" in page and "points" not in page


def test_a_feedback_page_for_a_stopped_run_says_where_it_stopped(records):
    page = feedback_page(records[3], A)  # cid, timed out
    assert "Grading stopped early</strong> (timed out): a cell ran longer than 8 s, in Q7 (its answer cell)" in page
    assert f"Automatically graded: {TOTAL - 2:g} of {TOTAL:g} points." in page


def test_a_tampered_submission_is_told_its_cells_were_put_back(records):
    page = feedback_page(records[0], A)  # eve
    assert "were put back as released before grading (locked cell &#x27;q2_grr&#x27; was edited)" in page


def test_write_reports_writes_every_page(records, tmp_path):
    out = write_reports(records, A, tmp_path)
    assert out == {"grades": tmp_path / "grades.csv", "cohort": tmp_path / "cohort.html"}
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == [
        f"{t}.html" for t in ["ana", "ben", "cid", "dee", "eve"]
    ]
    cohort = out["cohort"].read_text()
    assert "5 submissions: 4 scored, 1 not graded." in cohort
    assert "Needs your attention (3)" in cohort and "a cell ran longer than 8 s, in Q7" in cohort
    assert "grr_includes_expansion" in cohort
