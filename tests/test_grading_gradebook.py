"""The one writer: scores into nbgrader's own SQLite gradebook, the executed notebook, and the resume state."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from nbgrader.api import Gradebook

from csm_academy.grading.gradebook import Writer, read_state
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord, Job, QuestionResult, Status, failed
from csm_academy.grading.run import load_records
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions.feedback import Outcome
from tests.test_grading_submission import NB, A, released_course

QUESTIONS = lesson_for(A).questions


@pytest.fixture
def layout(tmp_path_factory, tmp_path) -> CourseLayout:
    """A copy of the released course, gradebook included, to write into."""
    course = tmp_path / "course"
    shutil.copytree(released_course(tmp_path_factory), course, symlinks=True)
    return CourseLayout(course)


def _record(trainee: str, status: Status = Status.GRADED, sha256: str = "a" * 64, points: float = 1.0) -> GradeRecord:
    questions = [
        QuestionResult(q.qid, q.title, Outcome.CORRECT, "Right.", points, float(q.points), None, True)
        for q in QUESTIONS
    ]
    executed = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "by": trainee})
    return GradeRecord.of(
        Job(trainee, A, NB), status, sha256=sha256, questions=questions, seconds=2.5, executed_notebook=executed
    )


def _scores(layout: CourseLayout) -> dict[str, float]:
    with Gradebook(layout.gradebook_url) as gb:
        return {s.student_id: s.score for s in gb.find_assignment(A).submissions}


def test_a_scored_record_lands_in_nbgraders_gradebook_with_its_executed_notebook(layout):
    writer = Writer(layout, A)
    assert writer.write(_record("ana")) is True
    writer.close()
    assert _scores(layout) == {"ana": float(len(QUESTIONS))}
    with Gradebook(layout.gradebook_url) as gb:
        grades = {g.name: g.auto_score for g in gb.find_submission_notebook(NB.removesuffix(".ipynb"), A, "ana").grades}
    assert grades == {q.qid: 1.0 for q in QUESTIONS}
    executed = json.loads(layout.autograded("ana", A, NB).read_text())
    assert executed["by"] == "ana"


def test_a_submission_is_written_once_per_hash_however_often_it_arrives(layout):
    writer = Writer(layout, A)
    assert writer.write(_record("ana")) is True
    assert writer.write(_record("ana", points=0.0)) is False  # a retried task's second result: ignored
    assert writer.write(_record("ana", sha256="b" * 64, points=0.0)) is True  # submitted again: a new submission
    writer.close()
    assert _scores(layout) == {"ana": 0.0}
    assert read_state(layout.state_file(A))["ana/" + NB].sha256 == "b" * 64


def _flagged(layout: CourseLayout, trainee: str) -> bool:
    with Gradebook(layout.gradebook_url) as gb:
        return gb.find_submission_notebook(NB.removesuffix(".ipynb"), A, trainee).flagged


def test_autograded_tasks_need_no_manual_grade_as_under_nbgrader(layout):
    writer = Writer(layout, A)
    writer.write(_record("ana"))
    writer.close()
    with Gradebook(layout.gradebook_url) as gb:
        cells = gb.find_submission_notebook(NB.removesuffix(".ipynb"), A, "ana").grades
        assert {g.name: g.needs_manual_grade for g in cells if g.name in {q.qid for q in QUESTIONS}} == {
            q.qid: False for q in QUESTIONS
        }
    assert not _flagged(layout, "ana")


@pytest.mark.parametrize("status", [s for s in Status if not s.scored])
def test_a_resubmission_that_cannot_be_graded_zeroes_the_old_score_and_is_flagged(layout, status):
    writer = Writer(layout, A)
    writer.write(_record("ben"))  # graded once: full marks and an executed notebook
    record = dataclasses.replace(_record("ben", status, sha256="b" * 64), detail="why")
    assert writer.write(record) is True
    writer.close()
    # nbgrader's tables: zero on every task and the notebook flagged, so export and formgrader list ben
    # and no score outlives the submission that replaced it.
    assert _scores(layout) == {"ben": 0.0} and _flagged(layout, "ben")
    assert not layout.autograded("ben", A, NB).exists()
    assert read_state(layout.state_file(A)) == {"ben/" + NB: record.without_executed_notebook()}
    # Graded again once fixed: the score comes back and the flag goes.
    writer = Writer(layout, A)
    writer.write(_record("ben", sha256="c" * 64))
    writer.close()
    assert _scores(layout) == {"ben": float(len(QUESTIONS))} and not _flagged(layout, "ben")


def test_a_new_run_resumes_from_the_state_file(layout):
    first = Writer(layout, A)
    first.write(_record("ana"))
    first.write(failed(Job("ben", A, NB), "the cluster could not run it"))
    first.close()
    resumed = Writer(layout, A)
    assert resumed.already_graded("ana", NB, "a" * 64) == _record("ana").without_executed_notebook()
    assert resumed.already_graded("ana", NB, "c" * 64) is None  # changed since: graded again
    # A failed task stored no hash, so whatever ben's file hashes to, it is graded again.
    assert resumed.already_graded("ben", NB, "a" * 64) is None
    assert [r.trainee for r in load_records(layout, A)] == ["ana", "ben"]


def test_the_state_file_keeps_its_json_shape_without_notebooks(layout):
    writer = Writer(layout, A)
    writer.write(_record("ana"))
    writer.close()
    state = json.loads(layout.state_file(A).read_text())
    assert list(state) == ["ana/" + NB]
    entry = state["ana/" + NB]
    assert set(entry) == {"trainee", "assignment", "notebook", "sha256", "status", "detail", "questions", "seconds"}
    assert entry["status"] == "graded" and len(entry["questions"]) == len(QUESTIONS)


def test_a_state_file_of_the_previous_version_still_loads(layout):
    older = {
        f"ana/{NB}": {
            "assignment": A,
            "detail": "",
            "notebook": NB,
            "questions": [
                {
                    "hidden": True,
                    "max_points": 2,
                    "message": "Right.",
                    "misconception": None,
                    "outcome": "correct",
                    "points": 2,
                    "qid": "q1_nrr",
                    "title": "Q1 Net revenue retention",
                }
            ],
            "seconds": 3.2,
            "sha256": "a" * 64,
            "status": "graded",
            "trainee": "ana",
        },
        f"ben/{NB}": {
            "assignment": A,
            "detail": "killed the grading worker 3 times",
            "notebook": NB,
            "questions": [],
            "sha256": "",
            "status": "grading failed",
            "trainee": "ben",
        },
    }
    layout.state_file(A).parent.mkdir(parents=True, exist_ok=True)
    layout.state_file(A).write_text(json.dumps(older, indent=1, sort_keys=True))
    records = {r.trainee: r for r in load_records(layout, A)}
    assert records["ana"].status is Status.GRADED and records["ana"].points == 2
    assert records["ben"].status is Status.FAILED and records["ben"].points is None
    assert Writer(layout, A).already_graded("ana", NB, "a" * 64) == records["ana"]


def test_a_damaged_state_file_means_grading_again_not_a_crash(layout):
    path = layout.state_file(A)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"ana/01_nrr_math.ipynb": {"trainee": "ana", "sta')  # cut short
    assert read_state(path) == {}
    good = _record("ana").to_json()
    path.write_text(
        json.dumps(
            {
                f"ana/{NB}": good,
                f"ben/{NB}": {**good, "trainee": "ben", "status": "excellent"},  # another version's status
                f"cid/{NB}": good,  # stored under the wrong key
                "list": [],
            }
        )
    )
    assert list(read_state(path)) == [f"ana/{NB}"]


@pytest.mark.parametrize(
    ("url", "used"),
    [
        ("postgresql://grader@db/gradebook", "postgresql+psycopg2://grader@db/gradebook"),
        ("postgres://grader@db/gradebook", "postgresql+psycopg2://grader@db/gradebook"),
        ("postgresql+psycopg2://grader@db/gradebook", "postgresql+psycopg2://grader@db/gradebook"),
        ("mysql+pymysql://grader@db/gradebook", "mysql+pymysql://grader@db/gradebook"),
    ],
)
def test_a_postgresql_url_without_a_driver_uses_the_installed_one(tmp_path, url, used):
    assert CourseLayout(tmp_path, db_url=url).gradebook_url == used
