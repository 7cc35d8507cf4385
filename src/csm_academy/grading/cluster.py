"""Grading on Dask: one task per submission, on a local cluster started by the run or on an existing one.

A task needs only the course folder (a path every worker can read: one machine, or a shared file
system) and returns the result record, executed notebook included. The process that started the run
is the only writer of the gradebook, the executed notebooks and the resume state.

Speed comes from two things per worker process, kept in one ``WorkerState`` because a Dask worker runs
many tasks in one process: the grading cache (``worker_cache.py``: what every submission shares), and a
kernel started ahead of time. With one thread per worker the scheduler keeps the next task waiting on
the worker while the current one runs; a worker plugin sees it arrive, and the running task starts that
submission's kernel before it runs its own, so kernel start-up overlaps grading.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker
from distributed.scheduler import KilledWorker

from csm_academy.errors import CsmAcademyError
from csm_academy.grading import execute
from csm_academy.grading.execute import Settings
from csm_academy.grading.gradebook import own_bin_on_path
from csm_academy.grading.records import GradeRecord, Job, RecordError, Status, failed
from csm_academy.grading.sandbox import bwrap_problem, sweep_limit_groups
from csm_academy.grading.worker_cache import WorkerCache

PREFIX = "csm-grade-"  # Dask groups tasks by the key's leading words: all our tasks form one group
START_TOPIC = "csm-academy-grading-started"
# On the cluster the run starts itself, a submission that kills its worker is tried this many times
# in all. An existing scheduler keeps its own setting (Dask's default allows 4 tries).
LOCAL_TRIES = 3
MAX_ATTEMPTS = 6  # resubmissions of a task that was only standing by when workers died, before giving up
NEXT_TASK_WAIT = 0.5  # seconds a task waits for the next one to arrive on its worker, to start its kernel


# --- worker side ---------------------------------------------------------------------------------


class WorkerState:
    """What one worker process keeps between tasks: the grading cache and the kernels started ahead."""

    def __init__(self) -> None:
        self.cache = WorkerCache()
        self.lock = threading.Condition()  # guards ready and prestarted; notified when a task arrives
        self.ready: dict[str, None] = {}  # our tasks waiting on this worker, in arrival order
        self.prestarted: dict[str, execute.Prepared] = {}  # kernels started for tasks that have not run yet


_WORKER = WorkerState()  # one per process: the tasks and the plugin of a worker share it


def task_key(token: str, job: Job, attempt: int = 0) -> str:
    """The Dask key of one grading task: the run, the attempt and the submission, readable by the worker."""
    return f"{PREFIX}{token}-{attempt}-" + json.dumps([job.trainee, job.assignment, job.notebook, job.found_as])


def _parse_key(key: str) -> tuple[str, Job]:
    token, _attempt, rest = key[len(PREFIX) :].split("-", 2)
    trainee, assignment, notebook, found_as = json.loads(rest)
    return token, Job(trainee, assignment, notebook, found_as)


class Prestart(WorkerPlugin):
    """Tracks which grading tasks wait on this worker, so the running one can start the next kernel."""

    name = "csm-academy-prestart"
    idempotent = True  # one per worker, however many runs register it

    def setup(self, worker) -> None:
        """Kill kernels left behind by a worker that died on this host (a nanny restarts us in its place)."""
        sweep_limit_groups()

    def transition(self, key, start, finish, **kwargs) -> None:
        """Called by the worker on every task state change (on its event loop: bookkeeping only)."""
        if not (isinstance(key, str) and key.startswith(PREFIX)):
            return
        with _WORKER.lock:
            if finish == "ready":
                _WORKER.ready[key] = None
                _WORKER.lock.notify_all()
            else:
                _WORKER.ready.pop(key, None)
            # Cancelled (the client went away) or moved to another worker before it ran: its kernel goes.
            gone = _WORKER.prestarted.pop(key, None) if finish in ("released", "forgotten") else None
        if gone is not None:
            threading.Thread(target=execute.discard, args=(gone,), daemon=True).start()  # not on the event loop

    def teardown(self, worker) -> None:
        """Stop kernels started for tasks this worker will now never run."""
        with _WORKER.lock:
            stale = list(_WORKER.prestarted.values())
            _WORKER.prestarted.clear()
        for prep in stale:
            execute.discard(prep)


@functools.cache
def worker_sandbox_problem() -> str | None:
    """bwrap_problem() of this worker process (checked once: it does not change while the worker lives)."""
    return bwrap_problem()


def _prepare(settings: Settings, job: Job) -> execute.Prepared:
    try:
        cache = _WORKER.cache.for_assignment(settings.layout, settings.secret, job.assignment)
        return execute.prepare(settings, job, cache)
    except Exception as exc:  # never let one submission stop the worker
        return execute.Prepared(job, time.perf_counter(), failure=(Status.FAILED, one_line(exc)))


def _prestart_next(settings: Settings, token: str) -> None:
    """Start the kernel of the next task of this run waiting on this worker, if one arrives soon."""

    def candidates() -> list[str]:
        return [k for k in _WORKER.ready if k.startswith(f"{PREFIX}{token}-") and k not in _WORKER.prestarted]

    with _WORKER.lock:
        if any(k in _WORKER.ready for k in _WORKER.prestarted):
            return  # one kernel ahead is enough
        _WORKER.lock.wait_for(lambda: bool(candidates()), timeout=NEXT_TASK_WAIT)
        waiting = candidates()
    if not waiting:
        return
    key = waiting[0]
    prep = _prepare(settings, _parse_key(key)[1])
    with _WORKER.lock:
        _WORKER.prestarted[key] = prep


def grade_task(settings: Settings, job: Job) -> dict:
    """Grade one submission on a Dask worker; always returns a record, as ``GradeRecord.to_json`` (with notebook)."""
    return _grade_on_worker(settings, job).to_json(with_executed_notebook=True)


def _grade_on_worker(settings: Settings, job: Job) -> GradeRecord:
    worker = get_worker()
    key = worker.get_current_task()
    token = _parse_key(key)[0] if isinstance(key, str) and key.startswith(PREFIX) else None
    # The client counts how often each submission really started, to tell a submission that kills
    # its workers from one that was only waiting on a worker when it died.
    worker.log_event(START_TOPIC, {"run": token, "trainee": job.trainee, "notebook": job.notebook})
    own_bin_on_path()
    if settings.sandbox and (problem := worker_sandbox_problem()):
        return failed(job, f"cannot sandbox trainee code on worker {worker.address}: {problem}")
    with _WORKER.lock:
        prep = _WORKER.prestarted.pop(key, None)
        stale = [_WORKER.prestarted.pop(k) for k in list(_WORKER.prestarted) if k not in _WORKER.ready]
    for old in stale:  # stolen or cancelled
        execute.discard(old)
    if prep is None or prep.job != job:
        prep = _prepare(settings, job)
    if token:
        _prestart_next(settings, token)
    try:
        return execute.run(settings, prep)
    except Exception as exc:
        execute.discard(prep)
        return failed(job, one_line(exc), sha256=prep.sha256)


# --- client side ---------------------------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    """An exception as one short line."""
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:300]


@contextlib.contextmanager
def connect(scheduler: str | None, n_workers: int) -> Iterator[Client]:
    """A Dask client: on the cluster at ``scheduler``, or on a local cluster started (and closed) here."""
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise CsmAcademyError(f"cannot reach the Dask scheduler at {scheduler}: {one_line(exc)}") from None
        try:
            try:
                client.wait_for_workers(1, timeout=120)
            except TimeoutError:
                raise CsmAcademyError(f"the Dask scheduler at {scheduler} has no workers (waited 120 s)") from None
            yield client
        finally:
            client.close()
        return
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": LOCAL_TRIES - 1}):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,  # one kernel per worker process: the prestart logic relies on it
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # a killed worker is reported in the run's own results
        )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def check_workers_sandbox(client: Client) -> None:
    """Stop with a clear message if any worker cannot run bubblewrap."""
    problems = {addr: p for addr, p in client.run(worker_sandbox_problem).items() if p}
    if problems:
        addr, problem = sorted(problems.items())[0]
        others = f" (and {len(problems) - 1} more workers)" if len(problems) > 1 else ""
        raise CsmAcademyError(
            f"cannot sandbox trainee code on Dask worker {addr}{others}: {problem}. Install bubblewrap on every "
            "worker, or run one worker per container (README: Running a large cohort), or pass --no-sandbox "
            "--trusted-submissions to grade WITHOUT isolation (trainee code then runs with the workers' rights)."
        )


def run_tasks(
    client: Client,
    settings: Settings,
    todo: list[Job],
    store: Callable[[GradeRecord], bool],
) -> list[GradeRecord]:
    """Grade ``todo`` as one Dask task per submission; ``store`` gets each record once, as tasks finish.

    Returns the records ``store`` took, without their executed notebooks (those are on disk by then).
    """
    if not todo:
        return []
    client.register_plugin(Prestart())
    token = uuid.uuid4().hex[:12]
    # Workers never need the database address (it may hold a password): only the client writes.
    settings = _without_db_url(settings)
    started: dict[tuple[str, str], int] = {}

    def on_start(event) -> None:
        msg = event[1] if isinstance(event, tuple) else event
        if isinstance(msg, dict) and msg.get("run") == token:
            ident = (msg.get("trainee"), msg.get("notebook"))
            started[ident] = started.get(ident, 0) + 1

    client.subscribe_topic(START_TOPIC, on_start)
    jobs = {}
    for job in todo:
        jobs[client.submit(grade_task, settings, job, key=task_key(token, job), pure=False)] = (job, 0)
    records: list[GradeRecord] = []
    pending = as_completed(list(jobs))
    try:
        for future in pending:
            job, attempt = jobs.pop(future)
            try:
                record = _received(job, future.result())
            except KilledWorker:
                ident = (job.trainee, job.notebook)
                deadline = time.monotonic() + 2
                # Start events travel worker -> scheduler -> client, so the last one can still be on its way.
                while started.get(ident, 0) < LOCAL_TRIES and time.monotonic() < deadline:
                    time.sleep(0.05)
                tries = started.get(ident, 0)
                if tries >= LOCAL_TRIES or attempt + 1 >= MAX_ATTEMPTS:
                    record = failed(job, f"killed the grading worker {tries} times")
                else:  # it was waiting on workers that others killed: give it a fresh count of tries
                    retry = client.submit(grade_task, settings, job, key=task_key(token, job, attempt + 1), pure=False)
                    jobs[retry] = (job, attempt + 1)
                    pending.add(retry)
                    continue
            except Exception as exc:  # lost or cancelled by the cluster: say so and carry on
                record = failed(job, f"the cluster could not run it: {one_line(exc)}")
            finally:
                future.release()
            if store(record):
                records.append(record.without_executed_notebook())  # a cohort of notebooks would fill memory
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(START_TOPIC)
        for future in jobs:
            future.cancel()
    return records


def _received(job: Job, data: object) -> GradeRecord:
    """The record a task returned, or a failed one if it is not a record of ``job``."""
    try:
        record = GradeRecord.from_json(data)
    except RecordError as exc:
        return failed(job, f"the worker returned a record this grader cannot read ({exc})")
    if record.job != job:
        return failed(job, f"the worker returned the record of another submission ({record.key})")
    return record


def _without_db_url(settings: Settings) -> Settings:
    return replace(settings, layout=replace(settings.layout, db_url=None))


def course_root_readable(client: Client, root: Path) -> None:
    """Stop with a clear message if a worker cannot see the course folder (no shared file system)."""
    seen = client.run(lambda path=str(root): (Path(path) / "source").is_dir())
    missing = sorted(addr for addr, ok in seen.items() if not ok)
    if missing:
        raise CsmAcademyError(
            f"Dask worker {missing[0]} cannot see the course folder {root}: every worker must read the same "
            "course folder at the same path (a shared file system)"
        )
