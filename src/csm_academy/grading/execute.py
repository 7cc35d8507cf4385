"""Grade one submission: check it, start its sandboxed kernel, run it, and judge its answers outside."""

from __future__ import annotations

import ast
import contextlib
import os
import pickle
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
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from csm_academy.book.book import Book
from csm_academy.book.generate import generate_book
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.sandbox import (
    PIDS_ROOT,
    SCRATCH_PREFIX,
    Limits,
    SandboxSpec,
    kernel_env,
    kernel_manager,
    release_pids_group,
)
from csm_academy.grading.seeds import trainee_seed
from csm_academy.grading.submission import Unreadable, check_and_restore, sha256_of
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions import wire
from csm_academy.questions.feedback import Feedback, Outcome
from csm_academy.questions.lesson import SEED_ENV
from csm_academy.questions.question import Attempt

HIDDEN_BOOKS = 2
HIDDEN_ACCOUNTS = 300

# Statuses a submission can end with; only "graded" and "tampered" carry trustworthy scores.
GRADED, TAMPERED = "graded", "tampered"
TIMED_OUT, KERNEL_DIED, UNREADABLE, FAILED = "timed out", "kernel died", "could not be read", "grading failed"


@dataclass(frozen=True)
class Job:
    """One submission to grade."""

    trainee: str
    assignment: str
    notebook: str  # file name, e.g. 01_nrr_math.ipynb


@dataclass
class Settings:
    """What every worker needs to know about the run."""

    layout: CourseLayout
    secret: bytes
    sandbox: bool = True
    cell_timeout: int = 30
    notebook_timeout: int = 180
    limits: Limits = field(default_factory=Limits)


_BOOKS: dict[tuple[int, int], Book] = {}


def _book(seed: int, n: int) -> Book:
    # Hidden books are regenerated per trainee seed; the small cache serves retries and re-runs.
    key = (seed, n)
    if key not in _BOOKS:
        if len(_BOOKS) > 64:
            _BOOKS.clear()
        _BOOKS[key] = generate_book(seed, n)
    return _BOOKS[key]


def hidden_specs(source) -> dict[str, tuple[list[int], int]]:
    """Per question, the hidden seeds and book size its source notebook's hidden test asks for."""
    specs: dict[str, tuple[list[int], int]] = {}
    for cell in source.cells:
        if cell.cell_type != "code" or "grade_hidden" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "grade_hidden" and node.args:
                qid = ast.literal_eval(node.args[0])
                kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ("seeds", "n_accounts")}
                seeds = kw.get("seeds", ast.literal_eval(node.args[1]) if len(node.args) > 1 else [])
                specs[qid] = ([int(s) for s in seeds], int(kw.get("n_accounts", HIDDEN_ACCOUNTS)))
    return specs


_CASES: dict[str, tuple[dict[str, list[tuple[str, Book]]], bytes]] = {}
_EXPECTED: dict[tuple[int, str], Any] = {}


def _shared_cases(settings: Settings, job: Job, source) -> tuple[dict[str, list[tuple[str, Book]]], bytes]:
    """The hidden cases and their pickled inputs: the same for every trainee, so made once per worker."""
    if job.assignment not in _CASES:
        _, cases = trainee_cases(settings, job, source)
        inputs = {
            qid: [(label, _inputs_for(job.assignment, qid, b)) for label, b in books] for qid, books in cases.items()
        }
        _CASES[job.assignment] = (cases, pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
    return _CASES[job.assignment]


def trainee_cases(settings: Settings, job: Job, source) -> tuple[int, dict[str, list[tuple[str, Book]]]]:
    """The visible seed and, per question, the books (with truth, grader side) its answer is judged on.

    The books are the ones the source notebook's hidden tests name, so honest submissions get exactly
    the scores plain ``nbgrader autograde`` gives; the visible seed only sets the trainee's own book.
    """
    lesson = lesson_for(job.assignment)
    specs = hidden_specs(source)
    visible_seed = trainee_seed(settings.secret, job.trainee, job.assignment)
    cases: dict[str, list[tuple[str, Book]]] = {}
    for q in lesson.questions:
        seeds, n_accounts = specs.get(
            q.qid,
            (
                [trainee_seed(settings.secret, job.trainee, job.assignment, "hidden", i) for i in range(HIDDEN_BOOKS)],
                HIDDEN_ACCOUNTS,
            ),
        )
        # Graded on unseen books only: a trainee's own book can be an unlucky draw for a judgement
        # question, and the check cell has already told them how they did on it.
        books: list[tuple[str, Book]] = []
        for i, seed in enumerate(seeds, start=1):
            full = _book(seed, n_accounts)
            books.append((f"unseen book {i}", full))
            books.extend((f"unseen book {i} with {name}", variant(full)) for name, variant in q.edge_cases)
        cases[q.qid] = books
    return visible_seed, cases


@dataclass
class Prepared:
    """A submission checked, its cases written and its kernel already starting."""

    job: Job
    started: float
    scratch: Path | None = None
    notebook: Any = None
    sha256: str = ""
    problems: list[str] = field(default_factory=list)
    cases: dict[str, list[tuple[str, Book]]] = field(default_factory=dict)
    km: Any = None
    error: dict | None = None  # set when the submission cannot be run at all


def prepare(settings: Settings, job: Job, source, release) -> Prepared:
    """Check the submission and start its kernel, so start-up overlaps the previous submission's run."""
    prep = Prepared(job, time.perf_counter())
    path = settings.layout.submitted(job.trainee, job.assignment, job.notebook)
    with contextlib.suppress(OSError):
        prep.sha256 = sha256_of(path)  # also for unreadable files, so a re-run knows they did not change
    try:
        checked = check_and_restore(path, source, release)
    except Unreadable as exc:
        prep.error = {"status": UNREADABLE, "detail": str(exc)}
        return prep
    prep.notebook, prep.sha256, prep.problems = checked.notebook, checked.sha256, checked.problems
    visible_seed = trainee_seed(settings.secret, job.trainee, job.assignment)
    prep.cases, pickled = _shared_cases(settings, job, source)
    # The owner's pid in the name lets a later sweep find kernels whose worker was killed (see sandbox.py).
    prep.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    grading = prep.scratch / "grading"
    grading.mkdir()
    (grading / wire.CASES_FILE).write_bytes(pickled)
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


def _inputs_for(assignment: str, qid: str, book: Book) -> tuple:
    q = lesson_for(assignment).question(qid)
    return q.inputs(book.observable())


def run(settings: Settings, prep: Prepared) -> dict:
    """Execute a prepared submission and judge it; always returns a result record."""
    job = prep.job
    base = {"trainee": job.trainee, "assignment": job.assignment, "notebook": job.notebook, "sha256": prep.sha256}
    if prep.error:
        return {**base, **prep.error, "questions": [], "seconds": time.perf_counter() - prep.started}
    status, detail = (TAMPERED, "; ".join(prep.problems)) if prep.problems else (GRADED, "")
    client = NotebookClient(
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
        status, detail = TIMED_OUT, f"a cell ran longer than {settings.cell_timeout} s"
    except DeadKernelError:
        if not watchdog.is_alive():
            status, detail = TIMED_OUT, f"the notebook ran longer than {settings.notebook_timeout} s"
        else:
            status, detail = KERNEL_DIED, "the kernel stopped (crashed, exited or ran out of memory)"
    except Exception as exc:  # a broken kernel can fail in many ways; the run must go on
        status, detail = KERNEL_DIED, f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        watchdog.cancel()
        _kill(prep.km)
    try:
        results = wire.read_results(prep.scratch / "grading")
    except ValueError as exc:
        results, status, detail = {}, FAILED, str(exc)
    questions = [
        _judge(q, prep.cases[q.qid], results, crashed=status in (TIMED_OUT, KERNEL_DIED))
        for q in lesson_for(job.assignment).questions
    ]
    record = {**base, "status": status, "detail": detail, "questions": [f.as_dict() for f in questions]}
    record["notebook_json"] = nbformat.writes(prep.notebook)
    record["seconds"] = time.perf_counter() - prep.started
    shutil.rmtree(prep.scratch, ignore_errors=True)
    return record


def _kill_group(km) -> None:
    """Kill a kernel's whole process group (safe from any thread: no kernel-manager calls)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _kill(km) -> None:
    """Stop a kernel for good: its whole process group first, then the manager's own clean-up."""
    if km is None:
        return
    _kill_group(km)
    with contextlib.suppress(Exception):  # already gone
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    spec = getattr(km, "spec", None)
    if spec is not None:
        group = PIDS_ROOT / "csm-academy" / spec.scratch.name
        for _ in range(40):  # killed processes take a moment to leave the cgroup
            release_pids_group(group)
            if not group.exists():
                break
            time.sleep(0.05)


def _judge(q, books: list[tuple[str, Book]], results: dict, crashed: bool) -> Feedback:
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
        key = (id(book), q.qid)  # books are shared by every submission a worker grades
        if key not in _EXPECTED:
            _EXPECTED[key] = q.expected(book)
        feedback = q.judge(attempt, book, hidden=hidden, label=label if hidden else "", expected=_EXPECTED[key])
        if feedback.outcome is not Outcome.CORRECT:
            return feedback
    assert feedback is not None
    return feedback
