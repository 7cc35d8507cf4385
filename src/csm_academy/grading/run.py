"""A grading run: one Dask task per submission, results stored as they finish by one writer."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from csm_academy.errors import CsmAcademyError
from csm_academy.grading import roster
from csm_academy.grading.execute import Settings
from csm_academy.grading.gradebook import Writer, ensure_released, read_state
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord, Job, Status
from csm_academy.grading.roster import Handin, RosterEntry
from csm_academy.grading.sandbox import bwrap_problem, sweep_limit_groups
from csm_academy.grading.submission import sha256_of
from csm_academy.lessons.registry import lesson_for


@dataclass
class RunSummary:
    """What a run did."""

    graded: int
    skipped: int
    by_status: dict[Status, int]
    seconds: float
    records: list[GradeRecord]  # without their executed notebooks


def require_trust(sandbox: bool, trusted: bool) -> None:
    """Refuse to run trainee code outside the sandbox unless the instructor said the submissions are trusted."""
    if not sandbox and not trusted:
        raise CsmAcademyError(
            "--no-sandbox runs trainee code with the grader's rights: it could read the course secret and the "
            "solutions, reach the Dask scheduler and workers, and change any grade. Add --trusted-submissions "
            "to confirm every submission is trusted, or grade with the sandbox."
        )


def submissions(layout: CourseLayout, assignment: str) -> list[Handin]:
    """Every notebook handed in for ``assignment``, wherever it was found; none at all is an instructor's error."""
    everyone = roster.known_trainees(layout, assignment)
    found = [h for h in roster.handins(layout, assignment, everyone) if h.handed.gradable]
    if not found:
        raise CsmAcademyError(
            f"no submissions of {assignment} yet: none under {layout.root / 'submitted'}/<trainee>/{assignment}/"
        )
    return found


def course_roster(
    layout: CourseLayout, assignment: str, *, listed: Sequence[str] = (), writer: Writer | None = None
) -> list[RosterEntry]:
    """Every trainee the course knows for ``assignment``, with what they handed in and its stored grade."""
    students: list[str]
    if writer is not None:
        students = writer.students()
    else:
        reader = Writer(layout, assignment)
        try:
            students = reader.students()
        finally:
            reader.close()
    return roster.roster(
        layout, assignment, read_state(layout.state_file(assignment)), listed=listed, gradebook_students=students
    )


def grade(
    layout: CourseLayout,
    assignment: str,
    *,
    secret: bytes,
    workers: int | None = None,
    scheduler: str | None = None,
    sandbox: bool = True,
    trusted: bool = False,
    force: bool = False,
    listed: Sequence[str] = (),
    progress: bool = True,
    cell_timeout: int | None = 30,
    notebook_timeout: int = 180,
) -> RunSummary:
    """Grade every submission of ``assignment``; re-runs only grade what changed unless ``force``.

    The same tasks run on a local Dask cluster started for this run (``workers`` processes, default one
    per core) or, with ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``), on an existing Dask cluster.
    Without the sandbox, ``trusted`` must say the submissions are trusted: unsandboxed trainee code runs
    with the grader's rights and can reach the Dask scheduler and workers, and through them any grade.
    Every trainee the course knows (``listed`` ones included) becomes a gradebook student.
    """
    from csm_academy.grading import cluster

    start = time.perf_counter()
    lesson_for(assignment)  # fail early, with the known assignments, if there is no such lesson
    require_trust(sandbox, trusted)
    if sandbox and not scheduler:
        problem = bwrap_problem()
        if problem:
            raise CsmAcademyError(
                f"cannot sandbox trainee code: {problem}. Fix that, or pass --no-sandbox "
                "--trusted-submissions to grade WITHOUT isolation (trainee code then runs with your rights)."
            )
    ensure_released(layout, assignment)
    submitted = submissions(layout, assignment)
    writer = Writer(layout, assignment)
    todo: list[Job] = []
    skipped = 0
    try:
        known = roster.known_trainees(
            layout, assignment, listed=listed, gradebook_students=writer.students(), records=writer.state
        )
        writer.enrol(known)
    except BaseException:
        writer.close()
        raise
    for handin in submitted:
        job = Job(handin.trainee, assignment, handin.notebook, handin.found_as)
        path = layout.handed_in(job.trainee, assignment, job.notebook, job.found_as)
        stored = None if force else writer.already_graded(job.trainee, job.notebook, sha256_of(path))
        if stored is not None and stored.found_as == job.found_as:
            skipped += 1
            continue
        todo.append(job)
    settings = Settings(
        layout=layout,
        secret=secret,
        sandbox=sandbox,
        cell_timeout=cell_timeout,
        notebook_timeout=notebook_timeout,
    )
    records: list[GradeRecord] = []
    try:
        if todo:
            n_workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
            with cluster.connect(scheduler, n_workers) as client:
                if scheduler:
                    cluster.course_root_readable(client, layout.root)
                if sandbox:
                    cluster.check_workers_sandbox(client)
                bar = _Progress(len(todo), enabled=progress)

                def store(record: GradeRecord) -> bool:
                    if not writer.write(record):
                        return False  # already stored in this run: never counted twice
                    bar.advance(record)
                    return True

                try:
                    records = cluster.run_tasks(client, settings, todo, store)
                finally:
                    bar.close()
    finally:
        writer.close()
        sweep_limit_groups()
    by_status: dict[Status, int] = {}
    for r in records:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    return RunSummary(len(records), skipped, by_status, time.perf_counter() - start, records)


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

    def advance(self, record: GradeRecord) -> None:
        """Count one stored record (those that could not be graded separately)."""
        if not record.scored:
            self.failed += 1
        if self.enabled:
            self.progress.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        """Stop drawing the bar."""
        if self.enabled:
            self.progress.stop()


def load_records(layout: CourseLayout, assignment: str) -> list[GradeRecord]:
    """Every stored result of an assignment (what the reports are built from)."""
    return list(read_state(layout.state_file(assignment)).values())


#: The course folder ``csm-academy course init DIR`` makes inside DIR, found from DIR when --course is not given.
LOCAL_COURSE = "course"


def default_course_root() -> Path:
    """The course when no --course is given: ./course if it is one, else ``autograder/course`` of a checkout."""
    from csm_academy.content import checkout_root

    local = Path(LOCAL_COURSE).absolute()
    if (local / "source").is_dir():
        return local
    checkout = checkout_root()
    if checkout is not None:
        return checkout / "autograder" / "course"
    raise CsmAcademyError(
        "no course folder here: pass --course DIR (an nbgrader course with a source/ folder), "
        "or make one with: csm-academy course init DIR, then run from DIR"
    )
