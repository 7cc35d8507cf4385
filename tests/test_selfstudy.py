"""Self-study: a trainee grades their own exercise with the instructor's judge, and sees their progress.

The slow tests run the real command (``python -m csm_academy submit``) in a workspace made by ``open``'s
own code, as a trainee would, so the time measured includes the command's start-up.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csm_academy.cli import main
from csm_academy.content import exercise_sources, student_edition
from csm_academy.grading import execute
from csm_academy.grading.portable import LINUX, PORTABLE, PORTABLE_ENV, WINDOWS_ENV, kernel_platform
from csm_academy.grading.records import GradeRecord, Job, QuestionResult, Status
from csm_academy.grading.sandbox import NO_CGROUPS_ENV, SandboxSpec, bwrap_problem, kernel_env
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions.feedback import Outcome
from csm_academy.selfstudy import submit
from csm_academy.selfstudy.places import Workspace, find_workspace
from csm_academy.selfstudy.progress import read_progress, record_attempt
from csm_academy.selfstudy.submit import NO_SANDBOX_ENV, grade_notebook, sandboxing
from csm_academy.workspace.sync import sync_workspace
from tests import nbtools
from tests.answers.nrr_math import WRONG

A = "01_nrr_math"
MISTAKE = "grr_includes_expansion"  # a known misconception of Q2, worth 2 points
SUBMIT_BOUND_SECONDS = 20  # generous: about 7 s on a quiet 2-core machine, start-up included


@dataclass(frozen=True)
class Submitted:
    """One run of ``csm-academy submit``: what it printed and how long it took, start-up included."""

    run: subprocess.CompletedProcess[str]
    seconds: float


#: The instructor's extras (``[instructor]``, ``[postgres]``): a trainee's install has none of them.
INSTRUCTOR_ONLY = ("dask", "distributed", "rich", "psycopg2")
#: ``csm-academy`` with the instructor's extras made unimportable, as in a trainee's install.
TRAINEE_INSTALL = (
    f"import sys; sys.modules.update(dict.fromkeys({INSTRUCTOR_ONLY!r}))\n"
    "from csm_academy.cli import main\n"
    "sys.exit(main())\n"
)


#: The POSIX and Linux calls Windows lacks, taken out of a process: any use of them on its path fails it.
LINUX_ONLY = ("killpg", "O_DIRECTORY", "O_NOFOLLOW")
#: ``csm-academy`` without the calls in LINUX_ONLY, and with no function taking dir_fd, as on Windows.
WITHOUT_LINUX_CALLS = (
    f"import os, sys\nfor name in {LINUX_ONLY!r}:\n    delattr(os, name)\nos.supports_dir_fd = set()\n"
    "from csm_academy.cli import main\n"
    "sys.exit(main())\n"
)


def _submit(
    workspace: Path,
    *args: str,
    env: dict[str, str] | None = None,
    trainee_install: bool = False,
    code: str | None = None,
) -> Submitted:
    code = TRAINEE_INSTALL if trainee_install else code
    program = ["-c", code] if code else ["-m", "csm_academy"]
    command = [sys.executable, *program, "submit", A, "--workspace", str(workspace), *args]
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, cwd=workspace)
    return Submitted(run, time.perf_counter() - started)


def _notebook(answers: dict[str, str]) -> str:
    """The student edition with ``answers`` typed into its answer cells, as a trainee saves it."""
    return json.dumps(nbtools.submission(nbtools.load(student_edition(A)), answers))


def _reference() -> dict[str, str]:
    return nbtools.reference_code(nbtools.load(exercise_sources() / A / f"{A}.ipynb"))


@dataclass(frozen=True)
class Runs:
    """The slow tests' submits, in order, in one trainee's workspace (and one on a laptop without a sandbox)."""

    workspace: Path
    reference: Submitted  # the reference answers, sandboxed where bubblewrap works here
    untouched: Submitted  # the notebook as handed out, with --no-sandbox
    laptop: Path  # a second workspace, on a "laptop": no bubblewrap, prlimit or cgroups, no instructor extras
    mistake: Submitted  # the reference answers with one known misconception, graded there


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    workspace = tmp_path_factory.mktemp("workspace")
    sync_workspace(workspace, trainee="ada")
    mine = workspace / "exercises" / A / f"{A}.ipynb"
    mine.write_text(_notebook(_reference()))
    reference = _submit(workspace)
    mine.write_text(_notebook({}))
    untouched = _submit(workspace, "--no-sandbox")

    laptop = tmp_path_factory.mktemp("laptop")
    sync_workspace(laptop, trainee="grace")
    qid, code = WRONG[MISTAKE]
    (laptop / "exercises" / A / f"{A}.ipynb").write_text(_notebook({**_reference(), qid: code}))
    bare = tmp_path_factory.mktemp("bare-path")  # a PATH with no bwrap, prlimit or sh on it
    env = {**os.environ, "PATH": str(bare), NO_CGROUPS_ENV: "1"}
    env.pop(NO_SANDBOX_ENV, None)
    mistake = _submit(laptop, env=env, trainee_install=True)
    return Runs(workspace, reference, untouched, laptop, mistake)


# --- the slow tests: real kernels --------------------------------------------------------------------------


@pytest.mark.slow
def test_reference_answers_score_full_marks_within_the_time_bound(runs):
    run = runs.reference.run
    assert run.returncode == 0, run.stderr[-3000:]
    assert "01_nrr_math (Module 1 exercise: NRR math): 15 / 15 points" in run.stdout
    assert run.stdout.count("— Correct.") == len(lesson_for(A).questions)
    assert runs.reference.seconds < SUBMIT_BOUND_SECONDS, f"submit took {runs.reference.seconds:.1f} s"


@pytest.mark.slow
def test_reference_answers_are_graded_in_the_sandbox_where_bubblewrap_works(runs):
    if bwrap_problem():
        pytest.skip(f"no sandbox on this machine: {bwrap_problem()}")
    assert "unsandboxed" not in runs.reference.run.stderr


@pytest.mark.slow
def test_an_untouched_exercise_scores_zero_and_says_not_attempted_for_every_task(runs):
    run = runs.untouched.run
    assert run.returncode == 0, run.stderr[-3000:]
    assert "0 / 15 points" in run.stdout
    tasks = [line for line in run.stdout.splitlines() if line.startswith("  0/")]
    assert len(tasks) == len(lesson_for(A).questions)
    assert all("Not attempted yet. Replace `raise NotImplementedError()` with your own code." in t for t in tasks)


@pytest.mark.slow
def test_no_sandbox_grades_unsandboxed_and_says_so_in_one_line(runs):
    notes = [line for line in runs.untouched.run.stderr.splitlines() if "unsandboxed" in line]
    assert notes == [
        "csm-academy: note: your notebook runs unsandboxed, with your own rights (fine: you only grade "
        "yourself), as asked"
    ]


@pytest.mark.slow
def test_a_known_misconception_loses_exactly_its_points_with_its_words(runs):
    run = runs.mistake.run
    assert run.returncode == 0, run.stderr[-3000:]
    assert "13 / 15 points" in run.stdout
    message = next(m.message for m in lesson_for(A).misconceptions.values() if m.id == MISTAKE)
    q2 = next(line for line in run.stdout.splitlines() if "Q2 Gross revenue retention" in line)
    assert q2.startswith("  0/2") and message in q2 and f"[mistake: {MISTAKE}]" in q2
    assert run.stdout.count("— Correct.") == len(lesson_for(A).questions) - 1


@pytest.mark.slow
def test_without_bubblewrap_or_prlimit_a_laptop_still_grades_and_says_it_is_unsandboxed(runs):
    run = runs.mistake.run
    assert run.returncode == 0, run.stderr[-3000:]
    notes = [line for line in run.stderr.splitlines() if line.startswith("csm-academy: note:")]
    assert len(notes) == 1 and "unsandboxed" in notes[0] and "bubblewrap is not installed" in notes[0]


@pytest.mark.slow
def test_self_study_grades_without_dask_rich_or_psycopg2(runs):
    run = runs.mistake.run  # made with those modules unimportable: importing any of them fails the run
    assert run.returncode == 0, run.stderr[-3000:]
    assert "13 / 15 points" in run.stdout


@pytest.mark.slow
def test_the_feedback_page_names_each_task_and_the_mistake_in_words(runs):
    page = (runs.laptop / "feedback" / f"{A}.html").read_text(encoding="utf-8")
    assert "Automatically graded: 13 of 15 points." in page
    assert "That is NRR, not GRR." in page
    assert all(html.escape(q.title) in page for q in lesson_for(A).questions)
    assert f"Feedback page: {runs.laptop / 'feedback' / f'{A}.html'}" in runs.mistake.run.stdout


@pytest.mark.slow
def test_the_progress_file_keeps_the_best_score_and_the_last_attempt_across_two_submits(runs):
    entry = read_progress(runs.workspace / ".csm-academy" / "progress.json").get(A)
    assert entry is not None
    assert entry.attempts == 2
    assert (entry.best.points, entry.best.max_points) == (15, 15)
    assert entry.last.points == 0 and entry.last.at >= entry.best.at
    assert "Best so far: 15 / 15 (2 attempts)." in runs.untouched.run.stdout


@pytest.mark.slow
def test_progress_lists_every_module_with_best_score_attempts_and_last_attempt(runs, capsys):
    assert main(["progress", "--workspace", str(runs.workspace)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(A))
    assert "Module 1 exercise: NRR math" in row
    assert re.search(r"15 / 15 +2 +\d{4}-\d\d-\d\d \d\d:\d\d \(0 / 15\)$", row), row  # best, attempts, last
    others = [line for line in out.splitlines() if line[:2] in ("02", "03", "04")]
    assert len(others) == 3 and all("not yet" in line for line in others)


@pytest.mark.slow
def test_the_progress_page_is_one_labelled_page_with_the_tasks_still_missing_points(runs, capsys):
    assert main(["progress", "--workspace", str(runs.workspace)]) == 0
    page = (runs.workspace / "progress.html").read_text(encoding="utf-8")
    assert "<title>Your progress in CSM Academy</title>" in page and "<caption>" in page
    assert page.count("<th scope='col'>") == 5
    assert "<script" not in page and "http" not in page and "<link" not in page  # nothing fetched or run
    row = next(r for r in page.split("<tr>") if f"<code>{A}</code>" in r)
    assert "15 / 15" in row  # best
    assert row.count("<li>") == len(lesson_for(A).questions)  # the last attempt missed every task
    assert "Replace `raise NotImplementedError()` with your own code." in row
    assert "href='feedback/01_nrr_math.html'" in row


# --- a laptop without Linux's calls: every portable choice forced, as on Windows ----------------------------

HANG_LIMIT = 5  # seconds a cell may run in the hanging-answer test (the course's own limit is a minute)


@dataclass(frozen=True)
class PortableRuns:
    """Two submits with every portable choice forced, in a process without the calls in LINUX_ONLY."""

    reference: Submitted  # the reference answers, with --no-sandbox
    untouched: Submitted  # the notebook as handed out, with --no-sandbox
    tmp: Path  # the submits' temporary folder: their scratch folders, and their kernels' connection files


@pytest.fixture(scope="module")
def portable_runs(tmp_path_factory) -> PortableRuns:
    workspace = tmp_path_factory.mktemp("portable")
    sync_workspace(workspace, trainee="ada")
    tmp = tmp_path_factory.mktemp("portable-tmp")
    env = {**os.environ, PORTABLE_ENV: "1", "TMPDIR": str(tmp)}
    mine = workspace / "exercises" / A / f"{A}.ipynb"
    mine.write_text(_notebook(_reference()))
    reference = _submit(workspace, "--no-sandbox", env=env, code=WITHOUT_LINUX_CALLS)
    mine.write_text(_notebook({}))
    untouched = _submit(workspace, "--no-sandbox", env=env, code=WITHOUT_LINUX_CALLS)
    return PortableRuns(reference, untouched, tmp)


def _processes_mentioning(text: str) -> list[int]:
    """The pids of the processes whose command line holds ``text`` (Linux's /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:  # a process that ended while we looked
            continue
    return found


@pytest.mark.slow
def test_without_linux_calls_reference_answers_score_full_marks(portable_runs):
    run = portable_runs.reference.run
    assert run.returncode == 0, run.stderr[-3000:]
    assert "01_nrr_math (Module 1 exercise: NRR math): 15 / 15 points" in run.stdout
    assert run.stdout.count("— Correct.") == len(lesson_for(A).questions)


@pytest.mark.slow
def test_without_linux_calls_an_untouched_exercise_scores_zero(portable_runs):
    run = portable_runs.untouched.run
    assert run.returncode == 0, run.stderr[-3000:]
    assert "0 / 15 points" in run.stdout
    tasks = [line for line in run.stdout.splitlines() if line.startswith("  0/")]
    assert len(tasks) == len(lesson_for(A).questions)


@pytest.mark.slow
def test_without_linux_calls_submit_leaves_no_kernel_and_no_scratch_folder(portable_runs):
    assert portable_runs.reference.run.returncode == 0, portable_runs.reference.run.stderr[-3000:]
    assert _processes_mentioning(str(portable_runs.tmp)) == []
    assert list(portable_runs.tmp.iterdir()) == []


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_without_linux_calls_a_hanging_answer_loses_only_its_task_and_its_kernel_is_killed_by_handle(
    tmp_path, monkeypatch
):
    sync_workspace(tmp_path, trainee="ada")
    notebook = tmp_path / "exercises" / A / f"{A}.ipynb"
    notebook.write_text(_notebook({**_reference(), "q3_logo_retention": "while True:\n    pass\n"}))
    monkeypatch.setenv(PORTABLE_ENV, "1")
    for name in LINUX_ONLY:
        monkeypatch.delattr(os, name)
    monkeypatch.setattr(os, "supports_dir_fd", set())
    course = submit.load_course_config
    monkeypatch.setattr(
        submit, "load_course_config", lambda root: dataclasses.replace(course(root), cell_timeout=HANG_LIMIT)
    )
    prepared: list[execute.Prepared] = []
    killed: list[subprocess.Popen] = []  # jupyter_client never kills by the handle on POSIX: only the grader does
    prepare, kill = execute.prepare, subprocess.Popen.kill

    def kept_prepare(*args):
        prepared.append(prepare(*args))
        return prepared[-1]

    def kept_kill(process: subprocess.Popen) -> None:
        killed.append(process)
        kill(process)

    monkeypatch.setattr(execute, "prepare", kept_prepare)
    monkeypatch.setattr(subprocess.Popen, "kill", kept_kill)

    record = grade_notebook(
        notebook, A, trainee="ada", workspace=tmp_path, secret=Workspace(tmp_path).secret(), sandboxed=False
    )

    assert record.status is Status.TASK_TIMED_OUT, record.detail
    assert "Q3 Logo retention (its answer cell)" in record.detail
    points = {q.qid: (q.points, q.max_points) for q in record.questions}
    assert points.pop("q3_logo_retention")[0] == 0
    assert all(got == most for got, most in points.values()), points
    km = prepared[0].km
    assert (km.transport, km.kernel_spec.interrupt_mode, prepared[0].grading_fd) == ("tcp", "signal", None)
    assert len(killed) == 1 and killed[0].returncode is not None
    assert _gone(killed[0].pid)


# --- the fast tests: bad input, finding things, the progress record -----------------------------------------


@pytest.fixture
def away_from_any_workspace(tmp_path, monkeypatch) -> Path:
    """A current folder that is no workspace, with a home that holds none either."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("csm-academy: error: "), err
    return err[0]


def test_an_unknown_assignment_exits_2_with_one_line_naming_the_known_ones(away_from_any_workspace, capsys):
    assert main(["submit", "99_no_such_module"]) == 2
    line = _one_line_error(capsys)
    assert "99_no_such_module" in line and A in line


def test_a_missing_notebook_exits_2_with_one_line_saying_where_it_looked(away_from_any_workspace, capsys):
    assert main(["submit", A]) == 2
    line = _one_line_error(capsys)
    assert str(away_from_any_workspace / "exercises" / A / f"{A}.ipynb") in line
    assert "no workspace" in line


def test_a_workspace_folder_without_the_notebook_exits_2_naming_the_folder(away_from_any_workspace, capsys):
    assert main(["submit", A, "--workspace", str(away_from_any_workspace)]) == 2
    line = _one_line_error(capsys)
    assert f"{away_from_any_workspace}, which csm-academy open did not make" in line


def test_a_notebook_path_that_is_not_a_file_exits_2_with_one_line(away_from_any_workspace, capsys):
    assert main(["submit", A, "--notebook", "nowhere.ipynb"]) == 2
    assert "--notebook nowhere.ipynb is not a file" in _one_line_error(capsys)


def test_a_notebook_that_is_not_json_exits_2_with_one_line_and_records_nothing(away_from_any_workspace, capsys):
    broken = away_from_any_workspace / "mine.ipynb"
    broken.write_text("{ not json")
    assert main(["submit", A, "--notebook", str(broken), "--no-sandbox"]) == 2
    assert "is not valid JSON" in _one_line_error(capsys)
    assert not (away_from_any_workspace / ".csm-academy" / "progress.json").exists()


def test_submit_finds_the_workspace_from_a_folder_inside_it(tmp_path):
    sync_workspace(tmp_path / "ws", trainee="ada")
    inside = tmp_path / "ws" / "exercises" / A
    assert find_workspace(None, inside).root == tmp_path / "ws"


def test_a_damaged_progress_file_exits_2_with_one_line(tmp_path, capsys):
    (tmp_path / ".csm-academy").mkdir()
    (tmp_path / ".csm-academy" / "progress.json").write_text("{ damaged")
    assert main(["progress", "--workspace", str(tmp_path)]) == 2
    assert "progress file" in _one_line_error(capsys)


def _record(points: list[float]) -> GradeRecord:
    questions = [
        QuestionResult(f"q{i}", f"Q{i}", Outcome.CORRECT if p == 2 else Outcome.INCORRECT, "words", p, 2)
        for i, p in enumerate(points)
    ]
    return GradeRecord.of(Job("ada", A, f"{A}.ipynb"), Status.GRADED, questions=questions)


def test_a_lower_score_later_keeps_the_best_and_a_tie_keeps_the_earlier_best(tmp_path):
    path = tmp_path / "progress.json"
    first = datetime(2026, 1, 1, tzinfo=UTC)
    partial = record_attempt(path, _record([2, 0]), first)
    assert [q.qid for q in partial.last.missing] == ["q1"]
    record_attempt(path, _record([2, 2]), first + timedelta(hours=1))
    record_attempt(path, _record([0, 0]), first + timedelta(hours=2))
    entry = record_attempt(path, _record([2, 2]), first + timedelta(hours=3))
    assert (entry.attempts, entry.best.points, entry.best.at) == (4, 4, first + timedelta(hours=1))
    assert entry.last.at == first + timedelta(hours=3) and not entry.last.missing
    assert read_progress(path).get(A) == entry  # the file holds all of it, times and words included


def test_the_environment_variable_turns_the_sandbox_off_and_says_so(monkeypatch):
    monkeypatch.setenv(NO_SANDBOX_ENV, "1")
    mode = sandboxing(no_sandbox=False)
    assert not mode.sandboxed and "unsandboxed" in mode.note


def test_off_linux_the_grader_runs_unsandboxed_without_looking_for_bubblewrap(monkeypatch):
    monkeypatch.delenv(NO_SANDBOX_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    mode = sandboxing(no_sandbox=False)
    assert not mode.sandboxed and "the sandbox needs Linux" in mode.note


def test_the_portable_kernel_environment_keeps_what_windows_needs_to_start(tmp_path, monkeypatch):
    windows = {key: f"C:\\{key.lower()}" for key in WINDOWS_ENV} | {"USERPROFILE": "C:\\Users\\ada"}
    for key, value in windows.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(PORTABLE_ENV, "1")
    env = kernel_env(SandboxSpec(scratch=tmp_path, use_bwrap=False))
    assert {key: env.get(key) for key in WINDOWS_ENV} == {key: windows[key] for key in WINDOWS_ENV}
    assert env["USERPROFILE"] == env["HOME"] == str(tmp_path / "home")  # the kernel's home, not the trainee's
    sandboxed = kernel_env(SandboxSpec(scratch=tmp_path))
    assert not set(sandboxed) & {*WINDOWS_ENV, "USERPROFILE"}  # the sandbox's allowlist is unchanged


def test_forcing_the_portable_choices_changes_unsandboxed_kernels_only(monkeypatch):
    monkeypatch.setenv(PORTABLE_ENV, "1")
    assert kernel_platform(sandboxed=True) == LINUX
    assert kernel_platform(sandboxed=False) == PORTABLE


def test_without_killpg_or_dir_fd_an_unsandboxed_kernel_is_killed_by_handle_and_written_by_path(monkeypatch):
    monkeypatch.delenv(PORTABLE_ENV, raising=False)
    monkeypatch.delattr(os, "killpg")
    monkeypatch.setattr(os, "supports_dir_fd", set())
    found = kernel_platform(sandboxed=False)
    assert not found.kill_group and not found.dir_fd
    assert kernel_platform(sandboxed=True) == LINUX


def test_an_unsandboxed_kernel_finds_a_user_site_install_despite_its_scratch_home(tmp_path):
    import site

    # `pip install --user csm-academy` puts the course and ipykernel under the user base, found from HOME,
    # which an unsandboxed kernel has pointed at its scratch folder; the sandbox never shows that base.
    assert kernel_env(SandboxSpec(scratch=tmp_path, use_bwrap=False))["PYTHONUSERBASE"] == site.getuserbase()
    assert "PYTHONUSERBASE" not in kernel_env(SandboxSpec(scratch=tmp_path))
