"""`csm-academy grade` on Dask: a local cluster, and a real scheduler with two workers, one killed mid-run."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csm_academy.grading.sandbox import PIDS_ROOT, SCRATCH_PREFIX
from csm_academy.lessons import nrr_math
from tests import nbtools
from tests.answers.nrr_math import WRONG
from tests.test_grading_cohort import (
    _build_course,
    _cell_outputs,
    _env_without_venv,
    _grade,
    _submit,
    groups_left_behind,
)

pytestmark = pytest.mark.slow
A = "01_nrr_math"
NB = f"{A}.ipynb"
POINTS = {q.qid: q.points for q in nrr_math.QUESTIONS}
TOTAL = sum(POINTS.values())
BIN = Path(sys.executable).parent
CLI = str(BIN / "csm-academy")
KILLS_ITS_WORKER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"  # unsandboxed: the parent is the worker


# Dials the scheduler (its address is handed in; the local cluster's is unknown, so a closed port there) and,
# if it got through, patches the judge on every worker to give full marks; then answers NRR wrongly.
PATCH_THE_WORKERS = """
def _full_marks(*args, **kwargs):
    import csm_academy.grading.execute as execute
    from csm_academy.questions.feedback import Feedback, Outcome
    execute._judge = lambda cache, q, *rest: Feedback(q.qid, q.title, Outcome.CORRECT, 'ok', q.points, q.points)
try:
    from distributed import Client
    with Client(SCHEDULER, timeout=3) as client:
        client.run(_full_marks)
        print('REACHED THE SCHEDULER')
except Exception as exc:
    print('NO SCHEDULER', type(exc).__name__)
def nrr(report):
    return 0.5
"""


def _cohort(course: Path, scheduler: str = "tcp://127.0.0.1:9") -> dict[str, float | None]:
    """Twelve submissions, four of them hostile, and the total each must get (None: no score)."""
    from tests.test_grading_cohort import HOSTILE, REFERENCE_HOOK, WRONG_NRR

    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    subs = {
        "ref-1": (nbtools.submission(release, ref), TOTAL),
        "ref-2": (nbtools.submission(release, ref), TOTAL),
        "ref-3": (nbtools.submission(release, ref), TOTAL),
        "untouched-1": (release, 0.0),
        "untouched-2": (release, 0.0),
        "mis-grr": (
            nbtools.submission(release, {**ref, "q2_grr": WRONG["grr_includes_expansion"][1]}),
            TOTAL - POINTS["q2_grr"],
        ),
        # Its kernel dies in Q2's answer cell: Q1 counts, the rest score zero (never "no score").
        "exits-kernel": (nbtools.submission(release, {**ref, "q2_grr": "import os\nos._exit(3)\n"}), POINTS["q1_nrr"]),
        "ref-4": (nbtools.submission(release, ref), TOTAL),
        # Hostile: each gains nothing over the same wrong NRR without its trick, on any cluster.
        "reference-hook": (
            nbtools.submission(release, {**ref, "q1_nrr": REFERENCE_HOOK + WRONG_NRR}),
            TOTAL - POINTS["q1_nrr"],
        ),
        # Its fake harness answers every later request too, wrongly: it only costs itself.
        "replaced-harness": (nbtools.submission(release, {**ref, "q1_nrr": HOSTILE["replaced-harness"]}), 0.0),
        "patches-workers": (
            nbtools.submission(release, {**ref, "q1_nrr": f"SCHEDULER = {scheduler!r}\n" + PATCH_THE_WORKERS}),
            TOTAL - POINTS["q1_nrr"],
        ),
        "ref-5": (nbtools.submission(release, ref), TOTAL),  # graded after the attempts: still judged honestly
    }
    for name, (nb, _) in subs.items():
        _submit(course, name, nb)
    return {name: total for name, (_, total) in subs.items()}


def _rows(course: Path) -> dict[str, dict]:
    return {r["trainee"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}


def _totals(course: Path) -> dict[str, float | None]:
    """Each submission's total (None when it has no score); trainees who handed nothing in are left out."""
    rows = _rows(course).items()
    return {t: (float(r["total"]) if r["total"] else None) for t, r in rows if r["status"] != "not submitted"}


def _gradebook_scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student_id: s.score for s in gb.find_assignment(A).submissions}


def _gradebook_flagged(course: Path) -> set[str]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student_id for s in gb.find_assignment(A).submissions if any(n.flagged for n in s.notebooks)}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The reference: the cohort graded on a local cluster started by the run (the default)."""
    course = _build_course(tmp_path_factory.mktemp("local"))
    expected = _cohort(course)
    run = _grade(course, "--workers", "2", timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return course, expected, run


def test_a_local_cluster_run_gives_the_expected_scores(local_run):
    course, expected, run = local_run
    assert f"graded {len(expected)} submissions" in run.stdout
    assert _totals(course) == expected
    assert _rows(course)["exits-kernel"]["status"] == "kernel died"
    # Released a personal copy, handed nothing in: on the roster all the same.
    assert {t: _rows(course)[t]["status"] for t in ("ana", "ben")} == {"ana": "not submitted", "ben": "not submitted"}
    scored = {t: v for t, v in expected.items() if v is not None}
    assert _gradebook_scores(course) == scored
    assert groups_left_behind() == []  # no kernel left behind by the workers the run closed


class _DaskCluster:
    """A `dask scheduler` and `dask worker` processes on 127.0.0.1, each in its own process group."""

    def __init__(self, root: Path):
        self.root = root
        self.procs: list[subprocess.Popen] = []
        self.file = root / "scheduler.json"
        self.scheduler = self._start(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
            + ["--scheduler-file", str(self.file)],
            "scheduler",
        )
        deadline = time.time() + 60
        while not (self.file.exists() and self.file.read_text().strip()):
            assert time.time() < deadline and self.scheduler.poll() is None, (root / "scheduler.log").read_text()
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written in one go, but give the writer a moment to close it
        self.address = json.loads(self.file.read_text())["address"]
        assert self.address.startswith("tcp://127.0.0.1:")

    def _start(self, cmd: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env or _env_without_venv(), start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def add_worker(self, name: str, env: dict | None = None) -> None:
        """A worker as an operator starts one: one thread (one kernel at a time), under a nanny."""
        self._start(
            [str(BIN / "dask"), "worker", "--scheduler-file", str(self.file), "--nthreads", "1"]
            + ["--host", "127.0.0.1", "--no-dashboard", "--name", name],
            name,
            env,
        )

    def client(self, workers: int):
        from distributed import Client

        client = Client(self.address, timeout="30s")
        client.wait_for_workers(workers, timeout=120)
        return client

    def close(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture
def dask_cluster(tmp_path):
    cluster = _DaskCluster(tmp_path)
    yield cluster
    cluster.close()


def _worker_processes(client) -> dict[str, tuple[int, int]]:
    """Per worker address: the worker process id and how many tasks it is running right now."""
    return client.run(lambda dask_worker: (os.getpid(), len(dask_worker.state.executing)))


def test_a_scheduler_and_two_workers_with_one_killed_mid_run_grade_each_submission_once(
    local_run, dask_cluster, tmp_path
):
    _, expected, _ = local_run
    (tmp_path / "remote").mkdir()
    course = _build_course(tmp_path / "remote")
    assert _cohort(course, dask_cluster.address) == expected
    dask_cluster.add_worker("w1")
    dask_cluster.add_worker("w2")
    client = dask_cluster.client(2)
    try:
        before = _worker_processes(client)
        proc = subprocess.Popen(
            [CLI, "grade", A, "--course", str(course), "--no-progress", "--scheduler", dask_cluster.address]
            + ["--cell-timeout", "8", "--timeout", "40"],
            env=_env_without_venv(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        state = course / "autograded" / f".csm-academy-{A}.json"
        killed, its_groups = None, []
        deadline = time.time() + 240
        while killed is None and time.time() < deadline and proc.poll() is None:
            if state.exists() and len(json.loads(state.read_text() or "{}")) >= 2:
                for pid in [pid for pid, running in _worker_processes(client).values() if running]:
                    its_groups = _kernel_groups_of(pid)
                    if its_groups:  # a worker that dies in the middle of grading, its kernel running
                        killed = pid
                        os.kill(killed, signal.SIGKILL)
                        break
            time.sleep(0.1)
        out, err = proc.communicate(timeout=300)
        assert killed is not None, "the run ended before a worker could be killed mid-task"
        assert proc.returncode == 0, out[-2000:] + err[-3000:]
        client.wait_for_workers(2, timeout=60)  # the nanny started a new worker process in its place
        after = _worker_processes(client)
        assert killed in {pid for pid, _ in before.values()} and killed not in {pid for pid, _ in after.values()}
    finally:
        client.close()
    assert f"graded {len(expected)} submissions" in out  # each submission counted once, none lost
    # The kernel that dialled this real scheduler to patch every worker's judge never reached it.
    probe = _cell_outputs(course, "patches-workers", "q1_nrr-answer")
    assert "NO SCHEDULER" in probe and "REACHED THE SCHEDULER" not in probe
    assert _totals(course) == expected
    assert _gradebook_scores(course) == {t: v for t, v in expected.items() if v is not None}
    assert len(json.loads(state.read_text())) == len(expected)
    # The killed worker's kernels do not outlive it: the run's last sweep kills them and removes their cgroups.
    assert not [group for group in its_groups if group.exists()]
    assert _kernel_groups_of(killed) == []
    assert not [p for p in Path("/proc").glob("[0-9]*") if _is_kernel_of(p, killed)]


def _kernel_groups_of(worker_pid: int) -> list[Path]:
    """The pids cgroups of the kernels a worker process started (their names carry its pid)."""
    parent = PIDS_ROOT / "csm-academy"
    assert parent.is_dir(), f"no {parent}: the grader did not cap any kernel's processes on this host"
    return sorted(parent.glob(f"{SCRATCH_PREFIX}{worker_pid}-*"))


def _is_kernel_of(proc: Path, worker_pid: int) -> bool:
    """Whether /proc entry ``proc`` is a grading kernel started by the worker process ``worker_pid``."""
    try:
        return f"{SCRATCH_PREFIX}{worker_pid}-" in (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def test_a_submission_that_kills_its_worker_every_time_fails_clearly_and_the_run_goes_on(tmp_path):
    course = _build_course(tmp_path)
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    _submit(course, "killer", nbtools.submission(release, {**ref, "q2_grr": KILLS_ITS_WORKER}))
    for name in ("honest-1", "honest-2", "honest-3"):
        _submit(course, name, nbtools.submission(release, ref))
    _submit(course, "untouched", release)
    # Without the sandbox a kernel can reach its worker process (the sandbox hides other processes).
    run = _grade(course, "--workers", "2", "--no-sandbox", "--trusted-submissions", timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "graded 5 submissions" in run.stdout
    rows = _rows(course)
    assert rows["killer"]["status"] == "grading failed"
    assert rows["killer"]["detail"] == "killed the grading worker 3 times"
    assert rows["killer"]["total"] == ""  # not graded: never shown as a zero in the reports
    assert _totals(course) == {"killer": None, "honest-1": TOTAL, "honest-2": TOTAL, "honest-3": TOTAL, "untouched": 0}
    # In nbgrader's tables it scores zero and is flagged, so `nbgrader export` and formgrader list the trainee.
    assert _gradebook_scores(course)["killer"] == 0.0 and _gradebook_flagged(course) == {"killer"}


def test_a_worker_that_cannot_sandbox_stops_the_run_with_a_clear_message(dask_cluster, tmp_path):
    (tmp_path / "nobwrap").mkdir()
    course = _build_course(tmp_path / "nobwrap")
    release = nbtools.load(course / "release" / A / NB)
    _submit(course, "someone", release)
    # A worker machine without bubblewrap: its PATH holds only the environment's own programs.
    env = {**_env_without_venv(), "PATH": str(BIN)}
    dask_cluster.add_worker("no-bwrap", env=env)
    dask_cluster.client(1).close()
    run = _grade(course, "--scheduler", dask_cluster.address, timeout=600)
    assert run.returncode == 2, run.stdout[-2000:] + run.stderr[-3000:]
    assert "cannot sandbox trainee code on Dask worker tcp://127.0.0.1:" in run.stderr
    assert "bubblewrap is not installed" in run.stderr and "Running a large cohort" in run.stderr
    assert not (course / "autograded" / f".csm-academy-{A}.json").exists()  # nothing graded unsandboxed


def test_the_writer_stores_a_submission_once_however_often_its_result_arrives(local_run, tmp_path):
    import dataclasses
    import shutil

    from nbgrader.api import Gradebook

    from csm_academy.grading.gradebook import Writer
    from csm_academy.grading.layout import CourseLayout
    from csm_academy.grading.records import GradeRecord

    src, _, _ = local_run
    course = tmp_path / "course"
    shutil.copytree(src, course, symlinks=True)
    layout = CourseLayout(course)
    state = json.loads(layout.state_file(A).read_text())
    stored = GradeRecord.from_json(state[f"ref-1/{NB}"])
    # A new result for the same submission, as a retried task would deliver it.
    record = dataclasses.replace(stored, questions=tuple(dataclasses.replace(q, points=1.0) for q in stored.questions))
    writer = Writer(layout, A)
    assert writer.write(record) is True
    assert writer.write(record) is False  # the same (trainee, notebook, hash) again: ignored
    assert writer.write(dataclasses.replace(record, questions=())) is False
    writer.close()
    with Gradebook(layout.gradebook_url) as gb:
        subs = [s for s in gb.find_assignment(A).submissions if s.student_id == "ref-1"]
        assert len(subs) == 1 and subs[0].score == len(record.questions)
    again = json.loads(layout.state_file(A).read_text())
    assert again[f"ref-1/{NB}"]["questions"] == [q.to_json() for q in record.questions] and len(again) == len(state)
    changed = Writer(layout, A)  # the trainee submitted again: a new hash is a new submission
    assert changed.write(dataclasses.replace(record, sha256="0" * 64)) is True
    changed.close()
