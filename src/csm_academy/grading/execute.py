"""Grade one submission: check it, start its sandboxed kernel, run it, and judge its answers outside."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from csm_academy.book.book import Book
from csm_academy.grading.bounded_client import BoundedNotebookClient
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord, Job, QuestionResult, Status
from csm_academy.grading.sandbox import (
    SCRATCH_PREFIX,
    Limits,
    SandboxSpec,
    kernel_env,
    kernel_manager,
    release_limit_groups,
)
from csm_academy.grading.seeds import trainee_seed
from csm_academy.grading.submission import Unreadable, check_and_restore, sha256_of
from csm_academy.grading.worker_cache import GradingCache
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions import wire
from csm_academy.questions.feedback import Feedback, Outcome
from csm_academy.questions.lesson import SEED_ENV
from csm_academy.questions.question import Attempt, Question


@dataclass
class Settings:
    """What every worker needs to know about the run."""

    layout: CourseLayout
    secret: bytes
    sandbox: bool = True
    cell_timeout: int | None = 30  # None: no limit per cell (the notebook limit still holds)
    notebook_timeout: int = 180
    limits: Limits = field(default_factory=Limits)


@dataclass
class Prepared:
    """A submission checked, its cases written and its kernel already starting."""

    job: Job
    started: float
    cache: GradingCache | None = None  # what its cases come from; it judges the answers with the same books
    scratch: Path | None = None
    notebook: Any = None
    sha256: str = ""
    problems: list[str] = field(default_factory=list)
    cases: dict[str, tuple[tuple[str, Book], ...]] = field(default_factory=dict)
    km: Any = None
    failure: tuple[Status, str] | None = None  # set when the submission cannot be run at all


def prepare(settings: Settings, job: Job, cache: GradingCache) -> Prepared:
    """Check the submission and start its kernel, so start-up overlaps the previous submission's run."""
    prep = Prepared(job, time.perf_counter(), cache)
    path = settings.layout.submitted(job.trainee, job.assignment, job.notebook)
    with contextlib.suppress(OSError):
        prep.sha256 = sha256_of(path)  # also for unreadable files, so a re-run knows they did not change
    source, release = cache.notebooks(job.assignment, job.notebook)
    try:
        checked = check_and_restore(path, source, release)
    except Unreadable as exc:
        prep.failure = (Status.UNREADABLE, str(exc))
        return prep
    prep.notebook, prep.sha256, prep.problems = checked.notebook, checked.sha256, checked.problems
    visible_seed = trainee_seed(settings.secret, job.trainee, job.assignment)
    cases = cache.cases(job.assignment, job.notebook)
    prep.cases = cases.books
    # The owner's pid in the name lets a later sweep find kernels whose worker was killed (see sandbox.py).
    prep.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    grading = prep.scratch / "grading"
    grading.mkdir()
    (grading / wire.CASES_FILE).write_bytes(cases.kernel_inputs)
    spec = SandboxSpec(
        scratch=prep.scratch,
        hide=settings.layout.hidden_from_trainees(),
        env={SEED_ENV: str(visible_seed), wire.ENV_DIR: str(grading)},
        limits=settings.limits,
        use_bwrap=settings.sandbox,
    )
    prep.km = kernel_manager(spec)
    log = (prep.scratch / "kernel.log").open("wb")  # the kernel's own chatter stays out of the grader's output
    # Its own process group, so that one kill stops the sandbox and everything the trainee started in it.
    run_sync(prep.km.start_kernel)(
        env=kernel_env(spec),
        cwd=str(prep.scratch / "work"),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    log.close()
    return prep


def run(settings: Settings, prep: Prepared) -> GradeRecord:
    """Execute a prepared submission and judge it; always returns a record."""
    job = prep.job
    if prep.failure or prep.cache is None:
        status, detail = prep.failure or (Status.FAILED, "the submission was never prepared")
        return GradeRecord.of(job, status, detail, sha256=prep.sha256, seconds=time.perf_counter() - prep.started)
    status, detail = (Status.TAMPERED, "; ".join(prep.problems)) if prep.problems else (Status.GRADED, "")
    client = BoundedNotebookClient(
        prep.notebook,
        km=prep.km,
        timeout=settings.cell_timeout,
        interrupt_on_timeout=False,
        allow_errors=True,
        record_timing=False,
        startup_timeout=60,
        resources={"metadata": {"path": str(prep.scratch / "work")}},
    )
    # nbclient cannot stop a kernel that ignores interrupts or never yields: a watchdog kills it.
    watchdog = threading.Timer(settings.notebook_timeout, lambda: _kill_group(prep.km))
    watchdog.start()
    try:
        client.execute()
    except CellTimeoutError:
        status, detail = Status.TIMED_OUT, f"a cell ran longer than {settings.cell_timeout} s"
    except DeadKernelError:
        if not watchdog.is_alive():
            status, detail = Status.TIMED_OUT, f"the notebook ran longer than {settings.notebook_timeout} s"
        else:
            status, detail = Status.KERNEL_DIED, "the kernel stopped (crashed, exited or ran out of memory)"
    except Exception as exc:  # a broken kernel can fail in many ways; the run must go on
        status, detail = Status.KERNEL_DIED, f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        watchdog.cancel()
        stop_kernel(prep.km)
    try:
        results = wire.read_results(prep.scratch / "grading")
    except ValueError as exc:
        results, status, detail = {}, Status.FAILED, str(exc)
    crashed = status in (Status.TIMED_OUT, Status.KERNEL_DIED)
    questions = [
        QuestionResult.from_feedback(_judge(prep.cache, q, prep.cases[q.qid], results, crashed))
        for q in lesson_for(job.assignment).questions
    ]
    executed = nbformat.writes(prep.notebook)
    shutil.rmtree(prep.scratch, ignore_errors=True)
    return GradeRecord.of(
        job,
        status,
        detail,
        sha256=prep.sha256,
        questions=questions,
        seconds=time.perf_counter() - prep.started,
        executed_notebook=executed,
    )


def discard(prep: Prepared) -> None:
    """Give up on a prepared submission: stop its kernel and remove its scratch folder."""
    with contextlib.suppress(Exception):  # a kernel that is already gone
        stop_kernel(prep.km)
    if prep.scratch is not None:
        shutil.rmtree(prep.scratch, ignore_errors=True)


def _kill_group(km) -> None:
    """Kill a kernel's whole process group (safe from any thread: no kernel-manager calls)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def stop_kernel(km) -> None:
    """Stop a kernel for good: its whole process group first, then the manager's own clean-up and its cgroup."""
    if km is None:
        return
    _kill_group(km)
    with contextlib.suppress(Exception):  # already gone
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    spec = getattr(km, "spec", None)
    if spec is not None:
        release_limit_groups(spec.scratch.name)


def _judge(
    cache: GradingCache, q: Question, books: tuple[tuple[str, Book], ...], results: dict, crashed: bool
) -> Feedback:
    """The question's feedback: the first case that is not right, else the last (right) one."""
    feedback = None
    for label, book in books:
        record = results.get((q.qid, label))
        if record is None:
            why = "the notebook stopped before this question ran" if crashed else "this question's check did not run"
            return Feedback(q.qid, q.title, Outcome.NOT_ATTEMPTED, f"Not graded: {why}.", 0.0, q.points, None, True)
        attempt = Attempt(
            str(record.get("status", "")),
            wire.decode(record.get("result")) if record.get("status") == "ok" else None,
            str(record.get("detail", ""))[:300],
        )
        hidden = label != "your book"
        expected = cache.expected(q, book)  # books are shared by every submission this process grades
        feedback = q.judge(attempt, book, hidden=hidden, label=label if hidden else "", expected=expected)
        if feedback.outcome is not Outcome.CORRECT:
            return feedback
    assert feedback is not None
    return feedback
