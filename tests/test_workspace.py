"""A trainee's workspace: made from the installed course, brought up to date, never overwriting the trainee's work.

Real files in temporary folders. A workspace an older course version left behind is written as that version
would have left it (its files and its record), so nothing of the package is replaced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csm_academy.cli import main
from csm_academy.content import student_edition, teaching_notebooks
from csm_academy.errors import CsmAcademyError
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions.lesson import SEED_ENV, SEED_FILE
from csm_academy.workspace.files import SOLUTION_MARKERS, START_PAGE, course_files, sha256_of
from csm_academy.workspace.marker import MARKER, FileRecord, course_version, read_marker, write_marker
from csm_academy.workspace.sync import default_workspace, sync_workspace

A = "01_nrr_math"
EXERCISE = f"exercises/{A}/{A}.ipynb"
TEACHING = "course/01_nrr_math.ipynb"
OLD = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'  # an older version's file


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _as_an_older_course_left_it(workspace: Path, path: str, *, trainee_text: str | None = None) -> None:
    """Make ``path`` look copied from an older course version, then changed by the trainee if ``trainee_text``."""
    (workspace / path).write_text(OLD)
    marker = read_marker(workspace)
    old = sha256_of(workspace / path)
    marker.files[path] = FileRecord(copied=old, course=old)
    write_marker(workspace, marker)
    if trainee_text is not None:
        (workspace / path).write_text(trainee_text)


def _personal_release(root: Path, trainee: str, assignment: str, seed: int) -> Path:
    """What `csm-academy release --trainees` leaves for one trainee: release-personal/<trainee>/<assignment>/."""
    folder = root / "release-personal" / trainee / assignment
    folder.mkdir(parents=True)
    (folder / SEED_FILE).write_text(json.dumps({"assignment": assignment, "seed": seed}) + "\n")
    return root / "release-personal"


def test_a_new_workspace_holds_the_teaching_notebooks_the_student_editions_and_its_record(tmp_path):
    report = sync_workspace(tmp_path / "ws")
    ws = tmp_path / "ws"
    expected = {f"course/{nb.name}" for nb in teaching_notebooks()} | {
        f"exercises/{a}/{a}.ipynb" for a in ("01_nrr_math", "02_health_score_calibration")
    }
    assert expected <= _files(ws)
    assert _files(ws) == {f.path for f in course_files()} | {MARKER}
    assert START_PAGE in _files(ws)
    assert (ws / EXERCISE).read_bytes() == student_edition(A).read_bytes()
    assert report.created and sorted(report.added) == sorted(f.path for f in course_files())
    marker = read_marker(ws)
    assert marker.course_version == course_version()
    assert marker.files[EXERCISE] == FileRecord(sha256_of(ws / EXERCISE), sha256_of(ws / EXERCISE))


def test_nothing_in_a_workspace_holds_a_solution_or_a_hidden_test(tmp_path):
    sync_workspace(tmp_path)
    leaks = [
        f"{path}: {marker}"
        for path in sorted(_files(tmp_path))
        for marker in SOLUTION_MARKERS
        if marker in (tmp_path / path).read_text()
    ]
    assert not leaks


def test_opening_again_leaves_a_notebook_the_trainee_changed_as_it_is(tmp_path):
    sync_workspace(tmp_path)
    (tmp_path / EXERCISE).write_text("my answers")
    report = sync_workspace(tmp_path)
    assert (tmp_path / EXERCISE).read_text() == "my answers"
    assert not report.created and report.lines() == [f"workspace {tmp_path} (course {course_version()})"]


def test_a_newer_version_of_a_notebook_the_trainee_changed_arrives_beside_it(tmp_path):
    sync_workspace(tmp_path)
    _as_an_older_course_left_it(tmp_path, EXERCISE, trainee_text="my answers")
    report = sync_workspace(tmp_path)
    beside = f"exercises/{A}/{A}.new.ipynb"
    assert (tmp_path / EXERCISE).read_text() == "my answers"
    assert (tmp_path / beside).read_bytes() == student_edition(A).read_bytes()
    assert [(a.path, a.beside) for a in report.arrived] == [(EXERCISE, beside)]
    assert any(beside in line and "yours is untouched" in line for line in report.lines())


def test_a_version_that_arrived_beside_arrives_only_once(tmp_path):
    sync_workspace(tmp_path)
    _as_an_older_course_left_it(tmp_path, EXERCISE, trainee_text="my answers")
    sync_workspace(tmp_path)
    again = sync_workspace(tmp_path)
    assert again.arrived == [] and not (tmp_path / f"exercises/{A}/{A}.new-2.ipynb").exists()


def test_an_arrival_never_overwrites_an_earlier_one(tmp_path):
    sync_workspace(tmp_path)
    (tmp_path / f"exercises/{A}/{A}.new.ipynb").write_text("answers copied into the earlier arrival")
    _as_an_older_course_left_it(tmp_path, EXERCISE, trainee_text="my answers")
    report = sync_workspace(tmp_path)
    assert (tmp_path / f"exercises/{A}/{A}.new.ipynb").read_text() == "answers copied into the earlier arrival"
    assert [a.beside for a in report.arrived] == [f"exercises/{A}/{A}.new-2.ipynb"]


def test_a_newer_version_of_a_notebook_the_trainee_never_changed_replaces_it(tmp_path):
    sync_workspace(tmp_path)
    _as_an_older_course_left_it(tmp_path, TEACHING)
    report = sync_workspace(tmp_path)
    assert report.updated == [TEACHING] and report.arrived == []
    assert (tmp_path / TEACHING).read_bytes() == (teaching_notebooks()[1]).read_bytes()


def test_a_course_notebook_the_trainee_deleted_is_copied_again(tmp_path):
    sync_workspace(tmp_path)
    (tmp_path / TEACHING).unlink()
    report = sync_workspace(tmp_path)
    assert report.restored == [TEACHING] and (tmp_path / TEACHING).is_file()


def test_a_file_of_the_trainees_where_a_new_course_file_goes_stays_and_the_course_file_arrives_beside(tmp_path):
    sync_workspace(tmp_path)
    marker = read_marker(tmp_path)
    del marker.files[TEACHING]  # as if module 1 were new in this version, and the trainee had a file of that name
    write_marker(tmp_path, marker)
    (tmp_path / TEACHING).write_text("my own notes")
    report = sync_workspace(tmp_path)
    assert (tmp_path / TEACHING).read_text() == "my own notes"
    assert [a.beside for a in report.arrived] == ["course/01_nrr_math.new.ipynb"]


def test_a_file_already_the_same_as_a_new_course_file_is_taken_as_the_course_copy(tmp_path):
    sync_workspace(tmp_path)
    marker = read_marker(tmp_path)
    del marker.files[TEACHING]
    write_marker(tmp_path, marker)
    report = sync_workspace(tmp_path)
    assert report.arrived == [] and report.added == []
    assert read_marker(tmp_path).files[TEACHING].copied == sha256_of(tmp_path / TEACHING)


def test_a_folder_that_holds_other_files_is_refused_in_one_line_with_nothing_written(tmp_path, capsys):
    (tmp_path / "thesis.docx").write_text("not a workspace")
    assert main(["open", "--workspace", str(tmp_path), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a CSM Academy workspace" in err and "--workspace" in err
    assert _files(tmp_path) == {"thesis.docx"}


def test_a_damaged_workspace_record_is_said_in_one_line(tmp_path, capsys):
    sync_workspace(tmp_path)
    (tmp_path / MARKER).write_text("{not json")
    assert main(["open", "--workspace", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and MARKER in err and "your notebooks here are untouched" in err


def test_another_trainees_workspace_is_refused(tmp_path):
    sync_workspace(tmp_path, trainee="ana")
    with pytest.raises(CsmAcademyError, match="workspace of trainee 'ana', not 'ben'"):
        sync_workspace(tmp_path, trainee="ben")
    assert read_marker(tmp_path).trainee == "ana"


def test_a_trainee_id_with_path_characters_is_refused_by_open(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["open", "--workspace", str(tmp_path / "ws"), "--trainee", "../ana"])
    assert stop.value.code == 2 and "is not a trainee id" in capsys.readouterr().err
    assert not (tmp_path / "ws").exists()


def test_a_personalised_release_puts_the_trainees_own_seed_beside_the_exercise(tmp_path, monkeypatch):
    release = _personal_release(tmp_path, "ana", A, seed=4242)
    ws = tmp_path / "ws"
    report = sync_workspace(ws, trainee="ana", personal_release=release)
    assert [(s.assignment, s.seed) for s in report.seeds] == [(A, 4242)]
    assert read_marker(ws).trainee == "ana"
    # The exercise's kernel runs in the notebook's folder: there the lesson reads the trainee's own seed.
    monkeypatch.delenv(SEED_ENV, raising=False)
    monkeypatch.chdir(ws / "exercises" / A)
    assert lesson_for(A).trainee_seed() == 4242


def test_without_a_personalised_release_no_seed_is_written_and_the_course_default_applies(tmp_path, monkeypatch):
    sync_workspace(tmp_path, trainee="ana")
    assert not list(tmp_path.rglob(SEED_FILE))
    monkeypatch.delenv(SEED_ENV, raising=False)
    monkeypatch.chdir(tmp_path / "exercises" / A)
    assert lesson_for(A).trainee_seed() == lesson_for(A).seed


def test_a_seed_file_already_beside_an_exercise_is_kept_when_the_workspace_is_opened_again(tmp_path):
    ws = tmp_path / "ws"
    sync_workspace(ws, trainee="ana", personal_release=_personal_release(tmp_path, "ana", A, seed=7))
    sync_workspace(ws)
    assert json.loads((ws / "exercises" / A / SEED_FILE).read_text())["seed"] == 7


def test_a_seed_file_for_another_assignment_is_refused_before_anything_is_written(tmp_path):
    release = _personal_release(tmp_path, "ana", A, seed=1)
    (release / "ana" / A / SEED_FILE).write_text(json.dumps({"assignment": "04_save_or_let_go", "seed": 1}))
    with pytest.raises(CsmAcademyError, match=f"not a seed file for {A}"):
        sync_workspace(tmp_path / "ws", trainee="ana", personal_release=release)
    assert not (tmp_path / "ws").exists()


def test_a_personalised_release_needs_the_trainee_it_was_made_for(tmp_path):
    release = _personal_release(tmp_path, "ana", A, seed=1)
    with pytest.raises(CsmAcademyError, match="needs --trainee"):
        sync_workspace(tmp_path / "ws", personal_release=release)
    with pytest.raises(CsmAcademyError, match="no personalised release for trainee 'ben'"):
        sync_workspace(tmp_path / "ws", trainee="ben", personal_release=release)


def test_the_default_workspace_is_the_one_you_are_in_else_csm_academy_in_your_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    sync_workspace(tmp_path / "ws")
    assert default_workspace(tmp_path / "ws" / "exercises" / A) == tmp_path / "ws"
    assert default_workspace(tmp_path) == tmp_path / "home" / "csm-academy"
