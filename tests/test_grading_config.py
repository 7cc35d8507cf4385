"""The course's own nbgrader_config.py, read through nbgrader's loader, means the same to `csm-academy`.

Real config files in temporary course folders; nothing is mocked.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from csm_academy.cli import build_parser, main
from csm_academy.errors import CsmAcademyError
from csm_academy.grading.cli import DB_URL_ENV, cell_timeout, course_from_args
from csm_academy.grading.course_config import load_course_config
from csm_academy.grading.run import default_course_root
from tests import nbtools
from tests.test_grading_cohort import CLI, POINTS, TOTAL, _env_without_venv, _submit

A = "01_nrr_math"
NB = f"{A}.ipynb"
STUB = "# Your turn: write the function here.\nraise NotImplementedError('csm-academy')"


@pytest.fixture(autouse=True)
def no_db_url_in_the_environment(monkeypatch):
    monkeypatch.delenv(DB_URL_ENV, raising=False)  # the instructor's own shell must not decide these tests


def _course(root: Path, config: str | None = None, beside: str | None = None) -> Path:
    """A course folder with the exercises as its source, and config files in it or beside it."""
    course = root / "course"
    course.mkdir(parents=True)
    (course / "source").symlink_to(nbtools.EXERCISES)
    if config is not None:
        (course / "nbgrader_config.py").write_text("c = get_config()\n" + config)
    if beside is not None:
        (root / "nbgrader_config.py").write_text("c = get_config()\n" + beside)
    return course


def _args(*argv: str):
    return build_parser().parse_args(list(argv))


def test_the_courses_cell_timeout_is_grades_default(tmp_path):
    course = _course(tmp_path, "c.Execute.timeout = 7\n")
    layout, config = course_from_args(_args("grade", A, "--course", str(course)))
    assert config.files == (course / "nbgrader_config.py",)
    assert cell_timeout(_args("grade", A, "--course", str(course)), config) == 7
    assert cell_timeout(_args("grade", A, "--course", str(course), "--cell-timeout", "5"), config) == 5


def test_a_timeout_set_on_nbconverts_class_reaches_grade_as_it_reaches_nbgrader(tmp_path):
    config = load_course_config(_course(tmp_path, "c.ExecutePreprocessor.timeout = 9\n"))
    assert config.cell_timeout == 9


def test_no_cell_limit_in_the_config_means_none_in_grade(tmp_path):
    assert load_course_config(_course(tmp_path, "c.Execute.timeout = -1\n")).cell_timeout is None


def test_without_a_config_grade_uses_nbgraders_defaults(tmp_path):
    config = load_course_config(_course(tmp_path))
    assert config.files == () and config.cell_timeout == 30 and config.db_url is None
    assert config.code_stub["python"] == "# YOUR CODE HERE\nraise NotImplementedError()"


def test_the_courses_db_url_is_the_gradebook_unless_a_flag_or_the_environment_names_one(tmp_path, monkeypatch):
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    course = _course(tmp_path, f"c.CourseDirectory.db_url = {elsewhere!r}\n")
    layout, _ = course_from_args(_args("grade", A, "--course", str(course)))
    assert layout.gradebook_url == elsewhere
    flag = f"sqlite:///{tmp_path / 'flag.db'}"
    layout, _ = course_from_args(_args("grade", A, "--course", str(course), "--db-url", flag))
    assert layout.gradebook_url == flag
    monkeypatch.setenv(DB_URL_ENV, f"sqlite:///{tmp_path / 'env.db'}")
    layout, _ = course_from_args(_args("grade", A, "--course", str(course)))
    assert layout.gradebook_url == f"sqlite:///{tmp_path / 'env.db'}"


def test_a_db_url_naming_the_courses_own_file_is_the_default(tmp_path):
    course = _course(tmp_path, f"c.CourseDirectory.db_url = 'sqlite:///{tmp_path}/course/../course/gradebook.db'\n")
    assert load_course_config(course).db_url is None  # the layout's own SQLite file, and no server course id


def test_a_config_beside_the_course_counts_only_when_it_names_that_course(tmp_path):
    ours = _course(tmp_path / "ours", beside="c.CourseDirectory.root = 'course'\nc.Execute.timeout = 11\n")
    assert load_course_config(ours).cell_timeout == 11
    other = _course(tmp_path / "other", beside="c.CourseDirectory.root = 'another-course'\nc.Execute.timeout = 11\n")
    assert load_course_config(other).files == () and load_course_config(other).cell_timeout == 30


def test_the_course_folders_own_config_wins_over_the_one_beside_it(tmp_path):
    course = _course(
        tmp_path,
        "c.Execute.timeout = 13\n",
        beside="c.CourseDirectory.root = 'course'\nc.Execute.timeout = 11\nc.ClearSolutions.text_stub = 'WRITE'\n",
    )
    config = load_course_config(course)
    assert config.files == (tmp_path / "nbgrader_config.py", course / "nbgrader_config.py")
    assert config.cell_timeout == 13 and config.config.ClearSolutions.text_stub == "WRITE"


def test_the_repositorys_config_is_read_for_the_default_course():
    config = load_course_config(default_course_root())
    assert config.files == (nbtools.REPO / "autograder" / "nbgrader_config.py",)
    assert config.cell_timeout == 60  # c.Execute.timeout in autograder/nbgrader_config.py
    assert config.db_url is None  # it names the course's own gradebook.db


def test_a_broken_config_is_a_clear_error(tmp_path):
    course = _course(tmp_path, "c.Execute.timeout = undefined_name\n")
    with pytest.raises(CsmAcademyError, match=f"cannot read {course / 'nbgrader_config.py'}: NameError"):
        load_course_config(course)


@pytest.fixture(scope="module")
def released_with_config(tmp_path_factory) -> tuple[Path, Path]:
    """`csm-academy release` of a course whose config sets a code stub and a gradebook elsewhere."""
    root = tmp_path_factory.mktemp("configured")
    gradebook = root / "elsewhere" / "gradebook.db"
    gradebook.parent.mkdir()
    config = (
        f"c.ClearSolutions.code_stub = {{'python': {STUB!r}}}\nc.CourseDirectory.db_url = 'sqlite:///{gradebook}'\n"
    )
    course = _course(root, config)
    assert main(["release", A, "--course", str(course)]) == 0
    return course, gradebook


def test_release_writes_the_code_stub_of_the_course_config(released_with_config):
    course, _ = released_with_config
    release = nbtools.load(course / "release" / A / NB)
    answers = [nbtools.source(cell) for cell in nbtools.answer_cells(release).values()]
    indented = "\n".join("    " + line for line in STUB.splitlines())  # nbgrader indents it into the function
    assert answers and all(answer.endswith(indented) for answer in answers)
    assert "YOUR CODE HERE" not in json.dumps(release)


def test_release_registers_the_assignment_in_the_gradebook_of_the_course_config(released_with_config):
    course, gradebook = released_with_config
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        assert gb.find_assignment(A).name == A
    assert not (course / "gradebook.db").exists()


@pytest.mark.slow
def test_grade_stops_a_cell_at_the_courses_timeout_without_a_flag(tmp_path):
    course = _course(tmp_path, "c.Execute.timeout = 3\n")
    assert main(["release", A, "--course", str(course)]) == 0
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    _submit(course, "sleeper", nbtools.submission(release, {**ref, "q1_nrr": "import time\ntime.sleep(60)\n"}))
    run = subprocess.run(
        [CLI, "grade", A, "--course", str(course), "--no-progress", "--workers", "1", "--timeout", "90"],
        env=_env_without_venv(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    with (course / "reports" / A / "grades.csv").open() as fh:
        row = next(csv.DictReader(fh))
    # Interrupted at the course's 3 s: the task it overran is named and scores zero, the rest is graded.
    assert (row["status"], row["detail"]) == (
        "a task timed out",
        "a cell ran longer than 3 s and stopped when interrupted, in Q1 Net revenue retention (its answer cell); "
        "the rest was graded",
    )
    assert float(row["q1_nrr"]) == 0 and float(row["total"]) == TOTAL - POINTS["q1_nrr"]
    state = json.loads((course / "autograded" / f".csm-academy-{A}.json").read_text())
    assert state[f"sleeper/{NB}"]["status"] == "a task timed out"
