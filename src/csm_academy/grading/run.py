"""A grading run: submissions graded in parallel worker processes, results stored by one writer."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import nbformat

from csm_academy.errors import CsmAcademyError
from csm_academy.grading import execute
from csm_academy.grading.execute import FAILED, Job, Settings
from csm_academy.grading.gradebook import Writer, ensure_released, own_bin_on_path
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.sandbox import bwrap_problem, sweep_pids_groups
from csm_academy.grading.submission import sha256_of
from csm_academy.lessons.registry import lesson_for

_STOP = None


def _worker(settings: Settings, assignment: str, jobs: mp.Queue, results: mp.Queue) -> None:
    """Worker loop: while one submission runs, the next one's kernel is already starting."""
    own_bin_on_path()
    layout = settings.layout
    sources = {nb: nbformat.read(layout.source(assignment) / nb, as_version=4) for nb in layout.notebooks(assignment)}
    releases = {nb: nbformat.read(layout.release(assignment) / nb, as_version=4) for nb in layout.notebooks(assignment)}

    def take():
        job = jobs.get()
        if job is _STOP:
            return None
        results.put(("start", os.getpid(), job))
        try:
            return execute.prepare(settings, job, sources[job.notebook], releases[job.notebook])
        except Exception as exc:  # never let one submission stop the worker
            return execute.Prepared(job, time.perf_counter(), error={"status": FAILED, "detail": _one_line(exc)})

    current = take()
    while current is not None:
        upcoming = take()
        try:
            record = execute.run(settings, current)
        except Exception as exc:
            execute._kill(current.km)
            record = {
                "trainee": current.job.trainee,
                "assignment": assignment,
                "notebook": current.job.notebook,
                "sha256": current.sha256,
                "status": FAILED,
                "detail": _one_line(exc),
                "questions": [],
            }
        results.put(("done", os.getpid(), record))
        current = upcoming
    results.put(("exit", os.getpid(), None))


def _one_line(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:300]


@dataclass
class RunSummary:
    """What a run did."""

    graded: int
    skipped: int
    by_status: dict[str, int]
    seconds: float
    records: list[dict]


def grade(
    layout: CourseLayout,
    assignment: str,
    *,
    secret: bytes,
    workers: int | None = None,
    sandbox: bool = True,
    force: bool = False,
    progress: bool = True,
    cell_timeout: int = 30,
    notebook_timeout: int = 180,
) -> RunSummary:
    """Grade every submission of ``assignment``; re-runs only grade what changed unless ``force``."""
    start = time.perf_counter()
    lesson_for(assignment)  # fail early, with the known assignments, if there is no such lesson
    if sandbox:
        problem = bwrap_problem()
        if problem:
            raise CsmAcademyError(
                f"cannot sandbox trainee code: {problem}. Install bubblewrap, or pass --no-sandbox to grade "
                "WITHOUT isolation (trainee code then runs with your rights)."
            )
    ensure_released(layout, assignment)
    writer = Writer(layout, assignment)
    todo: list[Job] = []
    skipped = 0
    for trainee in layout.trainees(assignment):
        for nb in layout.notebooks(assignment):
            path = layout.submitted(trainee, assignment, nb)
            if not path.exists():
                continue
            if not force and writer.already_graded(trainee, nb, sha256_of(path)):
                skipped += 1
                continue
            todo.append(Job(trainee, assignment, nb))
    settings = Settings(
        layout=layout,
        secret=secret,
        sandbox=sandbox,
        cell_timeout=cell_timeout,
        notebook_timeout=notebook_timeout,
    )
    try:
        records = _run_pool(settings, assignment, todo, workers or os.cpu_count() or 1, writer, progress)
    finally:
        sweep_pids_groups()
    by_status: dict[str, int] = {}
    for r in records:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    return RunSummary(len(records), skipped, by_status, time.perf_counter() - start, records)


def _run_pool(settings, assignment, todo: list[Job], n_workers: int, writer: Writer, progress: bool) -> list[dict]:
    if not todo:
        return []
    ctx = mp.get_context("spawn")
    jobs, results = ctx.Queue(), ctx.Queue()
    for job in todo:
        jobs.put(job)
    n_workers = max(1, min(n_workers, len(todo)))
    procs = {}

    def spawn():
        p = ctx.Process(target=_worker, args=(settings, assignment, jobs, results), daemon=True)
        p.start()
        procs[p.pid] = p
        jobs.put(_STOP)

    for _ in range(n_workers):
        spawn()
    in_flight: dict[int, list[Job]] = {}
    records: list[dict] = []
    bar = _Progress(len(todo), enabled=progress)
    try:
        while len(records) < len(todo):
            try:
                kind, pid, payload = results.get(timeout=2)
            except queue.Empty:
                # A worker that died (killed, segfault) loses its in-flight submissions: mark them failed.
                for pid_, proc in list(procs.items()):
                    if not proc.is_alive() and proc.exitcode not in (0, None):
                        for job in in_flight.pop(pid_, []):
                            rec = _failed(job, f"the grading worker died (exit code {proc.exitcode})")
                            writer.write(dict(rec))
                            records.append(rec)
                            bar.advance(rec)
                        del procs[pid_]
                        if len(records) < len(todo):
                            spawn()
                continue
            if kind == "start":
                in_flight.setdefault(pid, []).append(payload)
            elif kind == "done":
                in_flight[pid] = [
                    j
                    for j in in_flight.get(pid, [])
                    if (j.trainee, j.notebook) != (payload["trainee"], payload["notebook"])
                ]
                writer.write(payload)
                payload.pop("notebook_json", None)
                records.append(payload)
                bar.advance(payload)
    finally:
        bar.close()
        for proc in procs.values():
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    return records


def _failed(job: Job, detail: str) -> dict:
    return {
        "trainee": job.trainee,
        "assignment": job.assignment,
        "notebook": job.notebook,
        "sha256": "",
        "status": FAILED,
        "detail": detail,
        "questions": [],
    }


class _Progress:
    """A rich progress bar with counts, failures and time left (plain lines when not a terminal)."""

    def __init__(self, total: int, enabled: bool):
        self.enabled = enabled
        self.failed = 0
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} not graded"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        self.task = self.progress.add_task("grading", total=total, failed=0)
        self.progress.start()

    def advance(self, record: dict) -> None:
        if record["status"] not in ("graded", "tampered"):
            self.failed += 1
        if self.enabled:
            self.progress.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        if self.enabled:
            self.progress.stop()


def load_records(layout: CourseLayout, assignment: str) -> list[dict]:
    """Every stored result of an assignment (what the reports are built from)."""
    return list(Writer(layout, assignment).state.values())


def default_course_root() -> Path:
    """``autograder/course`` in this repository."""
    from csm_academy.grading.layout import REPO_ROOT

    return REPO_ROOT / "autograder" / "course"
