"""Grade one submission: check it, start its sandboxed kernel, run it, and judge its answers outside."""

from __future__ import annotations

import contextlib
import os
import pickle
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.grading.bounded_client import Ask, GradingClient
from csm_academy.grading.hidden_cases import Draw
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
from csm_academy.grading.submission import Unreadable, check_and_restore, grade_id, sha256_of
from csm_academy.grading.trainee_runtime import trainee_runtime
from csm_academy.grading.worker_cache import GradingCache
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions import wire
from csm_academy.questions.edition import EDITION_FILE, edition_of
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
    # Drawn once per run: with the secret and the trainee it picks each submission's unseen books, so a
    # second run of the same submission is judged on books no earlier run showed.
    run_id: str = field(default_factory=lambda: secrets.token_hex(16))


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
    grading_fd: int | None = None  # the scratch's grading folder, opened before the kernel could touch it (dir_fd)
    failure: tuple[Status, str] | None = None  # set when the submission cannot be run at all


def prepare(settings: Settings, job: Job, cache: GradingCache) -> Prepared:
    """Check the submission and start its kernel, so start-up overlaps the previous submission's run."""
    prep = Prepared(job, time.perf_counter(), cache)
    path = settings.layout.handed_in(job.trainee, job.assignment, job.notebook, job.found_as)
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
    draw = Draw(settings.secret, job.trainee, job.assignment, settings.run_id)
    prep.cases = cache.cases(job.assignment, job.notebook, draw).books
    # The owner's pid in the name lets a later sweep find kernels whose worker was killed (see sandbox.py).
    prep.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    grading = prep.scratch / "grading"
    grading.mkdir()
    # The lesson as the kernel will see it: the handouts of the trainee's own book, worked out here, where
    # the lesson's code is; the sandbox holds no reference code (trainee_runtime.py). Cases come later.
    lesson = lesson_for(job.assignment)
    own = generate_book(visible_seed, lesson.accounts)
    edition = edition_of(lesson, own if lesson.check_with_truth else own.observable())
    (grading / EDITION_FILE).write_bytes(pickle.dumps(edition, protocol=pickle.HIGHEST_PROTOCOL))
    spec = SandboxSpec(
        scratch=prep.scratch,
        hide=settings.layout.hidden_from_trainees(),
        env={SEED_ENV: str(visible_seed), wire.ENV_DIR: str(grading)},
        limits=settings.limits,
        use_bwrap=settings.sandbox,
        package_view=trainee_runtime() if settings.sandbox else None,
    )
    if spec.platform.dir_fd:  # else cases are written by path (Windows: no dir_fd, and no sandbox to defend)
        prep.grading_fd = os.open(grading, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    prep.km = kernel_manager(spec)
    log = (prep.scratch / "kernel.log").open("wb")  # the kernel's own chatter stays out of the grader's output
    # Its own process group, so that one kill stops the sandbox and everything the trainee started in it.
    run_sync(prep.km.start_kernel)(
        env=kernel_env(spec),
        cwd=str(prep.scratch / "work"),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        **spec.platform.new_group(),
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
    client = GradingClient(
        prep.notebook,
        asks=_asks(prep),
        grading_fd=prep.grading_fd,
        grading_dir=prep.scratch / "grading",
        km=prep.km,
        stop_kernel=lambda: _kill(prep.km),
        timeout=settings.cell_timeout,
        interrupt_on_timeout=False,
        allow_errors=True,
        record_timing=False,
        startup_timeout=60,
        resources={"metadata": {"path": str(prep.scratch / "work")}},
    )
    # nbclient cannot stop a kernel that ignores interrupts or never yields: a watchdog kills it.
    watchdog = threading.Timer(settings.notebook_timeout, lambda: _kill(prep.km))
    watchdog.start()
    try:
        client.execute()
    except CellTimeoutError:
        status, detail = Status.TIMED_OUT, f"a cell ran longer than {settings.cell_timeout} s and ignored the interrupt"
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
    if client.cut_off:  # the client stopped the kernel: whatever nbclient then raised, this is why
        limit = settings.limits.message_bytes // 2**20
        status, detail = Status.OUTPUT_TOO_LARGE, f"one output was over {limit} MB, so grading stopped there"
    results = client.results
    if status.stopped:
        detail += _during(client.task, job.assignment)
    elif client.overran:
        # Each task that ran too long was interrupted and scores zero; the rest of the notebook was graded.
        where = "; ".join(_task_words(task, job.assignment) for task in client.overran)
        cells = "a cell ran" if len(client.overran) == 1 else f"{len(client.overran)} cells ran"
        overran = f"{cells} longer than {settings.cell_timeout} s and stopped when interrupted, in {where}"
        overran += "; the rest was graded"
        if status is Status.GRADED:
            status, detail = Status.TASK_TIMED_OUT, overran
        else:
            detail += f"; {overran}"
    questions = [
        QuestionResult.from_feedback(
            _lost_to_time(q, settings.cell_timeout, answer_cell=f"{q.qid}-answer" in client.overran)
            if q.qid in client.lost
            else _judge(prep.cache, q, prep.cases[q.qid], results, status.stopped)
        )
        for q in lesson_for(job.assignment).questions
    ]
    executed = nbformat.writes(prep.notebook)
    _remove_scratch(prep)
    return GradeRecord.of(
        job,
        status,
        detail,
        sha256=prep.sha256,
        questions=questions,
        seconds=time.perf_counter() - prep.started,
        executed_notebook=executed,
    )


def _asks(prep: Prepared) -> dict[int, list[Ask]]:
    """Per cell index, the hidden cases to ask for once that cell (the question's test cell) has run."""
    lesson = lesson_for(prep.job.assignment)
    cache = prep.cache
    assert cache is not None
    index = {grade_id(cell): i for i, cell in enumerate(prep.notebook.cells)}
    asks: dict[int, list[Ask]] = {}
    for question in lesson.questions:
        if question.qid not in index:
            continue  # the submission checks already refused a notebook without it
        asks[index[question.qid]] = [
            Ask(question.qid, label, question.answer, question.kind, partial(cache.case_bytes, question, book))
            for label, book in prep.cases[question.qid]
        ]
    return asks


def _lost_to_time(q: Question, limit: int | None, *, answer_cell: bool) -> Feedback:
    """The feedback of a question whose answer cell or check ran past the cell limit and was stopped."""
    what = "your answer cell" if answer_cell else "your function, on this task's check,"
    message = (
        f"Not graded: {what} ran longer than {limit} s and was stopped, so this task scores zero. Look for a "
        "loop that never ends; the rest of your notebook was graded."
    )
    return Feedback(q.qid, q.title, Outcome.NOT_ATTEMPTED, message, 0.0, q.points, None, True)


def _during(task: str, assignment: str) -> str:
    """Which task was running when grading stopped, in words for the instructor."""
    return f", in {_task_words(task, assignment)}" if task else ""


def _task_words(task: str, assignment: str) -> str:
    """A task (a cell's grade id, "cell N", or a question id) as the instructor reads it."""
    qid = task.removesuffix("-answer")
    try:
        question = lesson_for(assignment).question(qid)
    except KeyError:
        return f"cell {task!r}"
    part = "its answer cell" if task.endswith("-answer") else "its checks"
    return f"{question.title} ({part})"


def discard(prep: Prepared) -> None:
    """Give up on a prepared submission: stop its kernel and remove its scratch folder."""
    with contextlib.suppress(Exception):  # a kernel that is already gone
        stop_kernel(prep.km)
    _remove_scratch(prep)


def _remove_scratch(prep: Prepared) -> None:
    """Close the grading folder and remove the scratch folder (rmtree follows no link the kernel left)."""
    if prep.grading_fd is not None:
        with contextlib.suppress(OSError):
            os.close(prep.grading_fd)
        prep.grading_fd = None
    if prep.scratch is not None:
        shutil.rmtree(prep.scratch, ignore_errors=True)


def _kill(km) -> None:
    """Kill a kernel's whole process group, else its process (safe from any thread: no kernel-manager calls)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if km.spec.platform.kill_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()  # Windows: TerminateProcess, which leaves what the kernel itself started running


def stop_kernel(km) -> None:
    """Stop a kernel for good: its whole process group first, then the manager's own clean-up and its cgroup."""
    if km is None:
        return
    _kill(km)
    with contextlib.suppress(Exception):  # already gone
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    spec = getattr(km, "spec", None)
    if spec is not None:
        release_limit_groups(spec.scratch.name)


def _judge(
    cache: GradingCache, q: Question, books: tuple[tuple[str, Book], ...], results: dict, stopped: bool
) -> Feedback:
    """The question's feedback: the first case that is not right, else the last (right) one."""
    feedback = None
    for label, book in books:
        record = results.get((q.qid, label))
        if record is None:
            if (q.qid, label) in results:  # asked, and the kernel sent back nothing under that request's nonce
                why = f"your notebook gave no answer when asked for {label}"
            elif stopped:
                why = "the notebook stopped before this question ran"
            else:
                why = "this question's check did not run"
            return Feedback(q.qid, q.title, Outcome.NOT_ATTEMPTED, f"Not graded: {why}.", 0.0, q.points, None, True)
        attempt = Attempt(
            str(record.get("status", "")),
            wire.decode(record.get("result")) if record.get("status") == "ok" else None,
            str(record.get("detail", ""))[:300],
        )
        expected = cache.expected(q, book)  # computed once per book: drawing the cases already needed it
        feedback = q.judge(attempt, book, hidden=True, label=label, expected=expected)
        if feedback.outcome is not Outcome.CORRECT:
            return feedback
    assert feedback is not None
    return feedback
