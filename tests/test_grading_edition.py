"""What a graded kernel gets of the course: its own handouts through the lesson stand-ins, and no reference code.

The runtime tests import the trainee runtime in a fresh Python that has only that copy on its path, as
the sandbox shows it to a kernel; the graded-run tests in test_grading_cohort.py attack it for real.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from csm_academy.book.generate import generate_book
from csm_academy.grading.trainee_runtime import KEPT, build_runtime, package_dir
from csm_academy.lessons.registry import LESSONS
from csm_academy.questions.edition import EDITION_FILE, edition_of
from csm_academy.questions.wire import ENV_DIR
from tests import nbtools

_LESSONS = [pytest.param(lesson, id=lesson.assignment) for lesson in LESSONS]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Path:
    """The trainee runtime, built from this checkout's package."""
    return build_runtime(package_dir(), tmp_path_factory.mktemp("runtime"))


def _edition_folder(tmp_path: Path, lesson) -> Path:
    own = generate_book(lesson.seed, lesson.accounts)
    edition = edition_of(lesson, own if lesson.check_with_truth else own.observable())
    (tmp_path / EDITION_FILE).write_bytes(pickle.dumps(edition))
    return tmp_path


def _run_in_runtime(runtime: Path, code: str, grading: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` in a Python that finds csm_academy only in the trainee runtime (-I: no user site, no cwd)."""
    env = {"PATH": "/usr/bin:/bin", **({ENV_DIR: str(grading)} if grading else {})}
    prelude = f"import sys; sys.path.insert(0, {str(runtime.parent)!r})\n"
    return subprocess.run(
        [sys.executable, "-I", "-c", prelude + code], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_runtime_keeps_the_book_engine_and_charts_and_stands_in_for_every_lesson(runtime):
    files = {str(p.relative_to(runtime)) for p in runtime.rglob("*.py")}
    assert {"book/generate.py", "questions/edition.py", "questions/harness.py", "charts.py"} <= files
    for lesson in LESSONS:
        folder = lesson.module.split(".")[-1]
        assert {p for p in files if p.startswith(f"lessons/{folder}/")} == {f"lessons/{folder}/__init__.py"}
    assert not [p for p in files if p.startswith(("metrics/", "grading/")) or p in ("widgets.py", "cli.py")]
    assert not [p for p in files if p.split("/")[0] not in {k.split("/")[0] for k in KEPT}]


def test_no_reference_or_metric_is_importable_from_the_runtime(runtime):
    code = (
        "import importlib\n"
        "for name in ('csm_academy.metrics.retention', 'csm_academy.lessons.nrr_math.reference',\n"
        "             'csm_academy.lessons.registry', 'csm_academy.grading.execute', 'csm_academy.widgets'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "        print('IMPORTED', name)\n"
        "    except ImportError:\n"
        "        pass\n"
        "import csm_academy\n"
        "print('PACKAGE', csm_academy.__file__)\n"
    )
    run = _run_in_runtime(runtime, code)
    assert run.returncode == 0, run.stderr
    assert "IMPORTED" not in run.stdout and f"PACKAGE {runtime}/__init__.py" in run.stdout


@pytest.mark.parametrize("lesson", _LESSONS)
def test_every_name_the_exercise_uses_from_its_lesson_is_in_the_edition(lesson, tmp_path, runtime):
    notebook = nbtools.load(nbtools.EXERCISES / lesson.assignment / f"{lesson.assignment}.ipynb")
    text = "\n".join(nbtools.source(cell) for cell in notebook["cells"] if cell["cell_type"] == "code")
    alias = re.search(r"from csm_academy\.lessons import (\w+)(?: as (\w+))?", text)
    assert alias and f"csm_academy.lessons.{alias.group(1)}" == lesson.module
    used = set(re.findall(rf"\b{alias.group(2) or alias.group(1)}\.(\w+)", text))
    names = edition_module_names(runtime, lesson, tmp_path)
    assert used and used <= names, used - names


def edition_module_names(runtime: Path, lesson, tmp_path: Path) -> set[str]:
    """The names the lesson's stand-in offers in the runtime, with this lesson's edition in the sandbox."""
    run = _run_in_runtime(
        runtime, f"import {lesson.module} as m\nprint(' '.join(m.__all__))", _edition_folder(tmp_path, lesson)
    )
    assert run.returncode == 0, run.stderr
    return set(run.stdout.split())


@pytest.mark.parametrize("lesson", _LESSONS)
def test_the_setup_cell_gets_the_same_tables_as_from_the_lesson_itself(lesson, tmp_path, runtime):
    folder = _edition_folder(tmp_path, lesson)
    notebook = nbtools.load(nbtools.EXERCISES / lesson.assignment / f"{lesson.assignment}.ipynb")
    setup = next(nbtools.source(c) for c in notebook["cells"] if nbtools.nbgrader_meta(c).get("grade_id") == "setup")
    dump = (
        "\nimport pickle, sys\n"
        "names = {k: v for k, v in dict(globals()).items() if not k.startswith('_') and k not in ('ex', 'pickle',"
        " 'sys', 'pd', 'lesson') and not hasattr(v, '__file__')}\n"
        "sys.stdout.buffer.write(pickle.dumps(names))\n"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(runtime.parent)!r})\n" + setup + dump],
        env={"PATH": "/usr/bin:/bin", ENV_DIR: str(folder)},
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    in_sandbox = pickle.loads(run.stdout)
    outside: dict = {}
    exec(compile(setup, "<setup>", "exec"), outside)  # the real lesson, on the same (default) book
    assert in_sandbox and set(in_sandbox) <= set(outside)
    for name, value in in_sandbox.items():
        if isinstance(value, pd.DataFrame | pd.Series):
            assert value.equals(outside[name]), name
        else:
            assert value == outside[name], name


def test_a_handout_refuses_any_other_book_or_table(tmp_path, runtime):
    lesson = next(lesson for lesson in LESSONS if lesson.assignment == "04_save_or_let_go")
    folder = _edition_folder(tmp_path, lesson)
    code = (
        f"import {lesson.module} as lesson\n"
        "from csm_academy.book.generate import generate_book\n"
        "ex = lesson.exercise()\n"
        "desk = lesson.save_desk(ex.book)\n"
        "desk.loc[desk.index[0], 'hours_needed'] = 999  # the trainee's copy: the next call is unaffected\n"
        "assert lesson.save_desk(ex.book)['hours_needed'].iloc[0] != 999\n"
        "for call in (lambda: lesson.save_desk(generate_book(7, 50)), lambda: lesson.hours_budget(desk)):\n"
        "    try:\n"
        "        call()\n"
        "        print('SERVED')\n"
        "    except ValueError as exc:\n"
        "        print('REFUSED', exc)\n"
    )
    run = _run_in_runtime(runtime, code, folder)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("REFUSED") == 2 and "works only on your book (ex.book)" in run.stdout


def test_another_lessons_stand_in_will_not_import_while_one_is_graded(tmp_path, runtime):
    folder = _edition_folder(tmp_path, LESSONS[0])
    run = _run_in_runtime(runtime, f"import {LESSONS[1].module}", folder)
    assert run.returncode != 0 and "is not available while 01_nrr_math is being graded" in run.stderr


def test_the_edition_carries_no_reference_and_no_hidden_truth_for_lessons_that_hide_it():
    lesson = LESSONS[0]
    edition = edition_of(lesson, generate_book(lesson.seed, lesson.accounts).observable())
    assert edition.values["book"].truth is None
    assert [card.qid for card in edition.cards] == list(lesson.qids)
    assert not hasattr(edition.cards[0], "reference")


def test_the_reference_reaching_attack_works_where_the_references_are_reachable_and_not_in_the_runtime(runtime):
    from tests.test_grading_cohort import REACH_REFERENCE

    lesson = LESSONS[0]
    report = lesson.handouts_for(generate_book(lesson.seed, lesson.accounts).observable())["arr_report"]
    scope: dict = {}
    exec(compile(REACH_REFERENCE, "<attack>", "exec"), scope)
    right = lesson.question("q1_nrr").reference(generate_book(lesson.seed, lesson.accounts))
    assert scope["_course_nrr"](report) == pytest.approx(right) and right != 0.5
    run = _run_in_runtime(runtime, REACH_REFERENCE + "import pandas as pd\nprint('GOT', _course_nrr(pd.DataFrame()))\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "GOT 0.5"
