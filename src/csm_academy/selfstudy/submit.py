"""Grade a trainee's own notebook with the instructor's engine, in this process, on unseen books.

The same functions grade one submission as on the instructor's cluster (``grading.execute``): the locked
and hidden test cells come back from the exercise source, the kernel runs in bubblewrap where it works,
and the answers are judged outside it on books drawn from the workspace's secret and the trainee id. No
Dask, no gradebook: one kernel, started once, for one notebook.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from csm_academy.content import exercise_sources, nbgrader_config, student_editions
from csm_academy.errors import CsmAcademyError
from csm_academy.grading import execute
from csm_academy.grading.course_config import load_course_config
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord, Job, Status
from csm_academy.grading.sandbox import SCRATCH_PREFIX, bwrap_problem
from csm_academy.grading.submission import Unreadable, read_notebook
from csm_academy.grading.worker_cache import CacheContext, GradingCache

#: Set (to anything) to grade without the sandbox, as --no-sandbox does.
NO_SANDBOX_ENV = "CSM_ACADEMY_NO_SANDBOX"


@dataclass(frozen=True)
class SelfStudyLayout(CourseLayout):
    """The course as a self-study submit reads it: the packaged sources and student editions, and one notebook.

    ``root`` is the trainee's workspace: it holds the secret, so the sandbox hides it like a course folder.
    """

    notebook: Path = Path()

    def source(self, assignment: str) -> Path:
        """The exercise source (solutions and hidden tests): where locked cells are restored from."""
        return exercise_sources() / assignment

    def release(self, assignment: str) -> Path:
        """The student edition, the release a trainee's notebook is checked against."""
        return student_editions() / assignment

    def handed_in(self, trainee: str, assignment: str, notebook: str, found_as: str = "") -> Path:
        """The trainee's notebook, wherever it is."""
        return self.notebook

    def hidden_from_trainees(self) -> list[Path]:
        """A course's hidden folders, and the exercise sources wherever the package put them."""
        hidden = super().hidden_from_trainees()
        sources = exercise_sources().resolve()
        if sources.is_dir() and not any(sources == h or h in sources.parents for h in hidden):
            hidden.append(sources)
        return hidden


@dataclass(frozen=True)
class Sandboxing:
    """Whether the kernel runs in the sandbox, and if not, the one line that says why."""

    sandboxed: bool
    note: str = ""


def sandboxing(no_sandbox: bool) -> Sandboxing:
    """The sandbox where bubblewrap works here, else none (a trainee grading themselves risks only their own files)."""
    unsandboxed = "your notebook runs unsandboxed, with your own rights (fine: you only grade yourself)"
    if no_sandbox or os.environ.get(NO_SANDBOX_ENV):
        return Sandboxing(False, f"{unsandboxed}, as asked")
    if not sys.platform.startswith("linux"):
        return Sandboxing(False, f"{unsandboxed}: the sandbox needs Linux")
    problem = bwrap_problem()
    if problem:
        return Sandboxing(False, f"{unsandboxed}: {problem}")
    return Sandboxing(True)


def check_readable(notebook: Path) -> None:
    """Stop with one line if ``notebook`` cannot be graded at all (before anything is said or started)."""
    try:
        read_notebook(notebook)
    except Unreadable as exc:
        raise CsmAcademyError(f"cannot grade {notebook}: {exc}") from None


def grade_notebook(
    notebook: Path, assignment: str, *, trainee: str, workspace: Path, secret: bytes, sandboxed: bool
) -> GradeRecord:
    """Grade ``notebook`` as the instructor's engine grades a submission of ``assignment``; a scored record."""
    layout = SelfStudyLayout(workspace, notebook=notebook)
    # The course's own time limit per cell (c.Execute.timeout), as the instructor's grade uses by default.
    cell_timeout = load_course_config(nbgrader_config().parent).cell_timeout
    settings = execute.Settings(layout=layout, secret=secret, sandbox=sandboxed, cell_timeout=cell_timeout)
    cache = GradingCache(CacheContext.of(layout, secret, assignment), layout, secret)
    job = Job(trainee, assignment, f"{assignment}.ipynb")
    try:
        prep = execute.prepare(settings, job, cache)
    except Exception as exc:  # the kernel could not start: said in one line, never a traceback
        _remove_own_scratch()
        raise CsmAcademyError(f"could not start a kernel to grade {notebook}: {_one_line(exc)}") from None
    record = execute.run(settings, prep)
    if record.status is Status.UNREADABLE:
        raise CsmAcademyError(f"cannot grade {notebook}: {record.detail}")
    if not record.scored:
        raise CsmAcademyError(f"grading {notebook} failed: {record.detail}")
    return record


def written_points(assignment: str) -> float:
    """Points of the exercise's written answers: an instructor marks those, so self-study cannot."""
    source = nbformat.read(exercise_sources() / assignment / f"{assignment}.ipynb", as_version=4)
    return sum(
        float(meta.get("points", 0))
        for cell in source.cells
        if cell.cell_type == "markdown" and (meta := cell.metadata.get("nbgrader", {})).get("grade")
    )


def _remove_own_scratch() -> None:
    """Remove the scratch folders this process made: a kernel that failed to start leaves its folder behind."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{os.getpid()}-*"):
        shutil.rmtree(folder, ignore_errors=True)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
