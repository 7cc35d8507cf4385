"""Every trainee the course knows is accounted for: found under a download name, loose, or never handed in."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord, Job, Status
from csm_academy.grading.roster import Handed, Known, find_handin, known_trainees, released_stem
from tests import nbtools
from tests.test_grading_cohort import CLI, _env_without_venv

A = "01_nrr_math"
NB = f"{A}.ipynb"
TOTAL = 15


# --- Finding what was handed in (files only, no kernels) -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("01_nrr_math (1).ipynb", "01_nrr_math"),
        ("01_nrr_math(2).ipynb", "01_nrr_math"),
        ("01_nrr_math-Copy1.ipynb", "01_nrr_math"),
        ("01_nrr_math copy.ipynb", "01_nrr_math"),
        ("01_NRR_math.ipynb", "01_nrr_math"),
        ("01 nrr math (3).ipynb", "01_nrr_math"),
        ("my_notes.ipynb", "my_notes"),
    ],
)
def test_download_and_copy_names_stand_for_the_released_notebook(name, stem):
    assert released_stem(name) == stem


@pytest.fixture
def layout(tmp_path) -> CourseLayout:
    (tmp_path / "source" / A).mkdir(parents=True)
    (tmp_path / "source" / A / NB).write_text("{}")
    return CourseLayout(tmp_path)


def _put(layout: CourseLayout, relpath: str) -> None:
    path = layout.root / "submitted" / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")


def test_a_notebook_as_released_is_found_where_nbgrader_puts_it(layout):
    _put(layout, f"ana/{A}/{NB}")
    _put(layout, f"ana/{A}/{A} (1).ipynb")  # an older download beside it changes nothing
    handin = find_handin(layout, "ana", A, NB, only=True)
    assert (handin.handed, handin.found_as, handin.note) == (Handed.AS_RELEASED, "", "")


def test_a_download_name_in_the_assignment_folder_is_graded_and_named(layout):
    _put(layout, f"ben/{A}/{A} (1).ipynb")
    handin = find_handin(layout, "ben", A, NB, only=True)
    assert (handin.handed, handin.found_as) == (Handed.RENAMED, f"{A}/{A} (1).ipynb")
    assert handin.note == f"graded from '{A}/{A} (1).ipynb' (under another file name; released as '{NB}')"


def test_the_only_notebook_in_the_folder_is_taken_whatever_its_name(layout):
    _put(layout, f"ben/{A}/homework.ipynb")
    assert find_handin(layout, "ben", A, NB, only=True).found_as == f"{A}/homework.ipynb"
    # With several notebooks in the assignment, a stray name cannot be matched to one of them.
    assert find_handin(layout, "ben", A, NB, only=False).handed is Handed.NOT_SUBMITTED


def test_a_notebook_dropped_outside_the_assignment_folder_is_found(layout):
    _put(layout, f"cid/{A} (2).ipynb")
    handin = find_handin(layout, "cid", A, NB, only=True)
    assert (handin.handed, handin.found_as) == (Handed.LOOSE, f"{A} (2).ipynb")


def test_two_candidate_notebooks_are_not_guessed_between(layout):
    _put(layout, f"hal/{A}/{A} (1).ipynb")
    _put(layout, f"hal/{A}/{A} (2).ipynb")
    handin = find_handin(layout, "hal", A, NB, only=True)
    assert handin.handed is Handed.AMBIGUOUS and not handin.handed.gradable
    assert handin.note == f"not graded: '{A}/{A} (1).ipynb', '{A}/{A} (2).ipynb' were handed in; keep only '{NB}'"


def test_a_trainee_with_nothing_handed_in_is_not_submitted(layout):
    (layout.root / "submitted" / "dan" / A).mkdir(parents=True)
    (layout.root / "submitted" / "dan" / A / "timestamp.txt").write_text("2026-11-20 09:30:00 UTC")
    assert find_handin(layout, "dan", A, NB, only=True).handed is Handed.NOT_SUBMITTED


def test_the_course_knows_trainees_from_every_source_and_says_which(layout):
    (layout.root / "release-personal" / "ana" / A).mkdir(parents=True)
    (layout.root / "release-personal" / "old" / "00_other").mkdir(parents=True)  # another assignment only
    _put(layout, f"ben/{A}/{NB}")
    (layout.root / "submitted" / "zed").mkdir()  # handed in other assignments: still in the course
    record = GradeRecord.of(Job("kim", A, NB), Status.GRADED)
    known = known_trainees(
        layout, A, listed=["ana", "gus"], gradebook_students=["fay", "ben"], records={record.key: record}
    )
    assert known == {
        "ana": (Known.RELEASED, Known.LISTED),
        "ben": (Known.GRADEBOOK, Known.FOLDER),
        "fay": (Known.GRADEBOOK,),
        "gus": (Known.LISTED,),
        "kim": (Known.GRADED,),
        "zed": (Known.FOLDER,),
    }


# --- The instructor's path, through the CLI on a fresh course ------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=_env_without_venv(), capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Eight trainees: as released, under a download name, loose, released but silent, unreleased, only in the
    gradebook, only on the trainees list, and two candidate notebooks."""
    course = tmp_path_factory.mktemp("roster") / "course"
    course.mkdir()
    (course / "source").symlink_to(nbtools.EXERCISES)
    assert _cli("release", A, "--course", str(course), "--trainees", "ana,ben,cid,dan").returncode == 0
    release = nbtools.load(course / "release" / A / NB)
    right = json.dumps(nbtools.submission(release, nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))))
    files = {
        f"ana/{A}/{NB}": right,
        f"ben/{A}/{A} (1).ipynb": right,
        f"cid/{NB}": right,
        f"eve/{A}/{NB}": json.dumps(release),
        f"hal/{A}/{A} (1).ipynb": right,
        f"hal/{A}/{A} (2).ipynb": json.dumps(release),
    }
    for relpath, text in files.items():
        path = course / "submitted" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    hashes = {relpath: nbtools.sha256(course / "submitted" / relpath) for relpath in files}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.add_student("fay")  # added by the instructor in formgrader, never released a copy
    run = _cli("grade", A, "--course", str(course), "--no-progress", "--trainees", "gus")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return course, run, hashes


def _grades(course: Path) -> dict[str, dict[str, str]]:
    with (course / "reports" / A / "grades.csv").open() as fh:
        return {row["trainee"]: row for row in csv.DictReader(fh)}


def test_every_known_trainee_has_a_row_with_a_status(cohort):
    course, run, _ = cohort
    rows = _grades(course)
    seen = {t: (r["status"], r["total"], r["found_as"]) for t, r in rows.items()}
    assert seen == {
        "ana": ("graded", str(float(TOTAL)), ""),
        "ben": ("graded", str(float(TOTAL)), f"{A}/{A} (1).ipynb"),
        "cid": ("graded", str(float(TOTAL)), NB),
        "dan": ("not submitted", "", ""),
        "eve": ("graded", "0.0", ""),
        "fay": ("not submitted", "", ""),
        "gus": ("not submitted", "", ""),
        "hal": ("several notebooks, none as released", "", ""),
    }
    assert rows["dan"]["known_from"] == "personal copy released; gradebook student"
    assert rows["fay"]["known_from"] == "gradebook student"
    assert rows["gus"]["known_from"] == "on the trainees list; gradebook student"
    assert rows["cid"]["detail"] == f"graded from '{NB}' (outside the assignment folder; released as '{NB}')"
    assert rows["ben"]["detail"] == f"graded from '{A}/{A} (1).ipynb' (under another file name; released as '{NB}')"
    assert "keep only" in rows["hal"]["detail"]
    assert "no grade for 4 of 8 known trainees: dan, fay, gus, hal (see the roster)" in run.stdout


def test_a_renamed_notebook_is_graded_under_its_released_name_and_the_trainee_is_told(cohort):
    course, _, hashes = cohort
    assert (course / "autograded" / "ben" / A / NB).is_file()
    page = (course / "reports" / A / "feedback" / "ben.html").read_text()
    assert f"Graded from the file <code>{A}/{A} (1).ipynb</code>" in page
    for relpath, digest in hashes.items():  # raw submissions never change, wherever they were
        assert nbtools.sha256(course / "submitted" / relpath) == digest


def test_nbgrader_export_lists_every_known_trainee(cohort, tmp_path):
    course, _, _ = cohort
    out = tmp_path / "export.csv"
    run = nbtools.run_nbgrader(course, "export", f"--CourseDirectory.root={course}", f"--to={out}")
    assert run.returncode == 0, run.stderr[-2000:]
    exported = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(out.open())}
    assert exported == {"ana": TOTAL, "ben": TOTAL, "cid": TOTAL, "dan": 0, "eve": 0, "fay": 0, "gus": 0, "hal": 0}


def test_the_cohort_report_lists_every_known_trainee_with_its_status(cohort):
    course, _, _ = cohort
    page = (course / "reports" / A / "cohort.html").read_text()
    assert "8 trainees known" in page
    for trainee in ("ana", "ben", "cid", "dan", "eve", "fay", "gus", "hal"):
        assert f">{trainee}<" in page, trainee
    assert "not submitted" in page and "several notebooks, none as released" in page


def test_a_broken_resubmission_zeroes_and_flags_the_old_score_then_a_good_one_lifts_it(cohort):
    course, _, _ = cohort
    path = course / "submitted" / "ana" / A / NB
    good = path.read_text()
    path.write_text('{"cells": [oops')
    try:
        run = _cli("grade", A, "--course", str(course), "--no-progress")
        assert run.returncode == 0, run.stderr[-2000:]
        assert _grades(course)["ana"]["status"] == "could not be read"
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            notebook = gb.find_submission_notebook(A, A, "ana")
            assert (notebook.score, notebook.flagged) == (0.0, True)
        # The roster outlives the run: `report` alone still lists gus, known from the list given to grade.
        report = _cli("report", A, "--course", str(course))
        assert report.returncode == 0, report.stderr
        assert _grades(course)["gus"]["status"] == "not submitted"
    finally:
        path.write_text(good)
    run = _cli("grade", A, "--course", str(course), "--no-progress")
    assert run.returncode == 0, run.stderr[-2000:]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(A, A, "ana")
        assert (notebook.score, notebook.flagged) == (TOTAL, False)
