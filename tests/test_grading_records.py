"""Typed grading records: one status enum, one JSON form for the state file and the Dask transport."""

from __future__ import annotations

import json

import pytest

from csm_academy.grading.records import GradeRecord, Job, QuestionResult, RecordError, Status, failed
from csm_academy.questions.feedback import Feedback, Outcome

JOB = Job("ana", "01_nrr_math", "01_nrr_math.ipynb")


def _question(qid: str = "q1_nrr", points: float = 2.0, misconception: str | None = None) -> QuestionResult:
    outcome = Outcome.CORRECT if points else Outcome.INCORRECT
    return QuestionResult(qid, f"Q {qid}", outcome, "words", points, 2.0, misconception, True)


def _record(status: Status = Status.GRADED, **changes) -> GradeRecord:
    questions = (_question("q1_nrr"), _question("q2_grr", 0.0, "grr_includes_expansion"))
    return GradeRecord.of(JOB, status, changes.pop("detail", ""), sha256="ab" * 32, questions=questions, **changes)


def test_status_values_are_the_words_reports_and_state_files_use():
    assert [s.value for s in Status] == [
        "graded",
        "tampered",
        "timed out",
        "a task timed out",
        "kernel died",
        "output too large",
        "could not be read",
        "grading failed",
    ]
    assert Status("timed out") is Status.TIMED_OUT and f"{Status.KERNEL_DIED}" == "kernel died"


def test_only_a_file_that_is_no_notebook_or_a_grader_failure_leaves_no_score():
    # A submission that stops its own grading keeps a score (zero for the task it stopped): never "no score".
    assert {s for s in Status if not s.scored} == {Status.UNREADABLE, Status.FAILED}
    assert {s for s in Status if s.stopped} == {Status.TIMED_OUT, Status.KERNEL_DIED, Status.OUTPUT_TOO_LARGE}


def test_a_record_survives_the_json_round_trip():
    record = _record(seconds=1.25, executed_notebook='{"cells": []}')
    sent = json.loads(json.dumps(record.to_json(with_executed_notebook=True)))
    assert GradeRecord.from_json(sent) == record


def test_the_state_form_leaves_the_executed_notebook_out():
    record = _record(seconds=1.25, executed_notebook='{"cells": []}')
    stored = record.to_json()
    assert "notebook_json" not in stored
    assert GradeRecord.from_json(stored) == record.without_executed_notebook()


def test_the_json_form_is_the_shape_older_state_files_hold():
    stored = _record(seconds=2.0).to_json()
    assert set(stored) == {"trainee", "assignment", "notebook", "sha256", "status", "detail", "questions", "seconds"}
    assert stored["status"] == "graded" and isinstance(stored["status"], str)
    feedback = Feedback("q1_nrr", "Q q1_nrr", Outcome.CORRECT, "words", 2.0, 2.0, None, True)
    assert stored["questions"][0] == feedback.as_dict()


def test_a_record_written_by_the_previous_version_loads():
    older = {
        "trainee": "ben",
        "assignment": "01_nrr_math",
        "notebook": "01_nrr_math.ipynb",
        "sha256": "",
        "status": "grading failed",
        "detail": "killed the grading worker 3 times",
        "questions": [],
    }  # no "seconds": records of failed tasks had none
    record = GradeRecord.from_json(older)
    assert record.status is Status.FAILED and record.seconds is None and record.questions == ()
    assert record.to_json() == older


def test_points_keep_the_type_they_were_stored_with():
    stored = _record().to_json()
    stored["questions"][0]["points"] = 2  # an int in the file: grades.csv shows it as it did before
    assert GradeRecord.from_json(stored).questions[0].points == 2
    assert type(GradeRecord.from_json(stored).questions[0].points) is int


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(status="excellent"), "unknown status 'excellent'"),
        (lambda d: d.pop("trainee"), "trainee is missing"),
        (lambda d: d.update(notebook=5), "notebook must be text"),
        (lambda d: d.update(questions={"q1_nrr": 2}), "questions must be a list"),
        (lambda d: d["questions"][0].update(points="2"), "points must be a number"),
        (lambda d: d["questions"][0].update(points=True), "points must be a number"),
        (lambda d: d["questions"][0].update(outcome="brilliant"), "unknown outcome 'brilliant'"),
        (lambda d: d["questions"][0].update(hidden="yes"), "hidden must be true or false"),
        (lambda d: d.update(notebook_json={"cells": []}), "notebook_json must be text"),
        (lambda d: d.update(seconds="fast"), "seconds must be a number"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_record_of_another_shape_is_refused_with_the_reason(change, words):
    data = _record(seconds=1.0).to_json()
    change(data)
    with pytest.raises(RecordError, match=words):
        GradeRecord.from_json(data)


@pytest.mark.parametrize("data", [None, [], "graded", 3], ids=repr)
def test_something_that_is_not_an_object_is_refused(data):
    with pytest.raises(RecordError, match="must be a JSON object"):
        GradeRecord.from_json(data)


def test_a_scored_record_totals_its_points_and_lists_its_misconceptions():
    record = _record()
    assert record.scored and record.points == 2.0 and record.max_points == 4.0
    assert record.misconceptions == ["grr_includes_expansion"]


@pytest.mark.parametrize("status", [s for s in Status if not s.scored])
def test_a_record_that_was_not_graded_has_no_points_never_a_zero(status):
    assert _record(status).points is None


def test_a_failed_record_has_no_hash_so_the_next_run_grades_it_again():
    record = failed(JOB, "the cluster could not run it")
    assert record.status is Status.FAILED and record.sha256 == "" and record.questions == ()
    assert record.job == JOB and record.key == "ana/01_nrr_math.ipynb"


def test_a_question_result_keeps_everything_feedback_says():
    feedback = Feedback("q2_grr", "Q2 GRR", Outcome.INCORRECT, "That is NRR.", 0.0, 2.0, "grr_includes_expansion", True)
    result = QuestionResult.from_feedback(feedback)
    assert result.to_json() == feedback.as_dict()
    assert QuestionResult.from_json(feedback.as_dict()) == result
