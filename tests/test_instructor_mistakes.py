"""An instructor's ordinary mistakes get one line naming what to fix, exit status 2, and nothing half-written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import nbtools
from tests.test_grading_cohort import CLI, _env_without_venv

A = "01_nrr_math"
KNOWN = "known: 01_nrr_math, 02_health_score_calibration, 03_expansion_qualification, 04_save_or_let_go"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], cwd=cwd, env=_env_without_venv(), capture_output=True, text=True, timeout=300)


def _one_line_error(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


@pytest.fixture
def course(tmp_path) -> Path:
    """A course folder with the exercises as its source, given by a path relative to where the instructor is."""
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "source").symlink_to(nbtools.EXERCISES)
    return tmp_path / "course"


@pytest.mark.parametrize("verb", ["release", "grade", "report"])
def test_an_unknown_assignment_is_named_with_the_known_ones(course, verb):
    line = _one_line_error(_cli(verb, "01_nrr_mat", "--course", "course", cwd=course.parent))
    assert line == f"csm-academy: error: no lesson defines assignment '01_nrr_mat'; {KNOWN}"
    assert sorted(p.name for p in course.iterdir()) == ["source"]  # nothing written


def test_grading_with_no_submissions_says_where_they_go_and_writes_no_reports(course):
    assert _cli("release", A, "--course", "course", cwd=course.parent).returncode == 0  # a relative --course
    line = _one_line_error(_cli("grade", A, "--course", "course", cwd=course.parent))
    assert line == f"csm-academy: error: no submissions of {A} yet: none under {course / 'submitted'}/<trainee>/{A}/"
    assert not (course / "reports").exists()


def test_a_report_before_any_grading_says_to_grade_first(course):
    line = _one_line_error(_cli("report", A, "--course", "course", cwd=course.parent))
    assert line == f"csm-academy: error: nothing graded yet for '{A}': run csm-academy grade first"


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--workers", "0", "argument --workers: must be 1 or more, not 0"),
        ("--workers", "-2", "argument --workers: must be 1 or more, not -2"),
        ("--cell-timeout", "-5", "argument --cell-timeout: must be 1 or more, not -5"),
        ("--cell-timeout", "soon", "argument --cell-timeout: 'soon' is not a whole number"),
        ("--timeout", "0", "argument --timeout: must be 1 or more, not 0"),
    ],
)
def test_nonsense_option_values_are_refused(course, option, value, says):
    line = _one_line_error(_cli("grade", A, "--course", "course", option, value, cwd=course.parent))
    assert line == f"csm-academy grade: error: {says} (see csm-academy grade --help)"


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ("ana\nJean Dupont\n", "trainees.txt line 2: 'Jean Dupont' is not a trainee id"),
        ("ana\n../ben\n", "trainees.txt line 2: '../ben' is not a trainee id"),
        ("ana\n\nben\nana\n", "trainees.txt line 4: trainee 'ana' is listed twice"),
    ],
)
def test_a_bad_trainees_file_names_the_line_and_releases_nothing(course, lines, says):
    (course.parent / "trainees.txt").write_text(lines)
    run = _cli("release", A, "--course", "course", "--trainees-file", "trainees.txt", cwd=course.parent)
    assert _one_line_error(run).startswith(f"csm-academy: error: {says}")
    assert sorted(p.name for p in course.iterdir()) == ["source"]


def test_a_trainees_file_with_blank_lines_releases_each_trainee_once(course):
    (course.parent / "trainees.txt").write_text("ana\n\n  ben  \n")
    run = _cli("release", A, "--course", "course", "--trainees-file", "trainees.txt", cwd=course.parent)
    assert run.returncode == 0, run.stderr
    assert "2 trainees" in run.stdout
