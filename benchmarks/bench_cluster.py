"""A large cohort graded on Dask: the local cluster a run starts, and a scheduler with separate workers.

Run: python benchmarks/bench_cluster.py [--submissions 500] [--workers 2] [--hangers 2]
Builds one cohort (the mix of bench_grading.py, with at most --hangers notebooks that hang), grades it
with `csm-academy grade --workers N` (local cluster) and with `csm-academy grade --scheduler ADDRESS`
against a `dask scheduler` and N `dask worker --nthreads 1` processes started here on 127.0.0.1, and
prints wall time, throughput per worker, and the workers a 50,000-submission module needs to be graded
within an hour at that rate. It also checks that both runs gave every submission the same score.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_grading import _cohort, _timed  # noqa: E402

from tests import nbtools  # noqa: E402

MODULE_SIZE = 50_000
HOUR = 3600.0


def _course(root: Path, assignment: str, cohort: dict[str, dict], env: dict) -> Path:
    course = root / "course"
    course.mkdir(parents=True)
    (course / "source").symlink_to(nbtools.EXERCISES)
    bindir = Path(sys.executable).parent
    subprocess.run(
        [str(bindir / "csm-academy"), "release", assignment, "--course", str(course)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for trainee, nb in cohort.items():
        path = course / "submitted" / trainee / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb))
    return course


def _limit_hangers(cohort: dict[str, dict], release: dict, assignment: str, keep: int) -> dict[str, dict]:
    """Keep ``keep`` hanging notebooks: each costs a full cell time limit, which is not what is measured here."""
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / assignment / f"{assignment}.ipynb"))
    out, kept = {}, 0
    for name, nb in cohort.items():
        if name.endswith("hangs"):
            if kept >= keep:
                name, nb = name.replace("hangs", "reference"), nbtools.submission(release, ref)
            else:
                kept += 1
        out[name] = nb
    return out


@contextlib.contextmanager
def _dask_processes(root: Path, n_workers: int, env: dict):
    """A scheduler and workers on 127.0.0.1, as an operator would start them; yields the address."""
    bindir = Path(sys.executable).parent
    file = root / "scheduler.json"
    procs = []

    def start(cmd: list[str], name: str) -> None:
        log = (root / f"{name}.log").open("wb")
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True))

    try:
        start(
            [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
            + ["--scheduler-file", str(file)],
            "scheduler",
        )
        deadline = time.time() + 60
        while not (file.exists() and file.read_text().strip()) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        address = json.loads(file.read_text())["address"]
        for i in range(n_workers):
            start(
                [str(bindir / "dask"), "worker", "--scheduler-file", str(file), "--nthreads", "1"]
                + ["--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}"],
                f"worker{i}",
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(n_workers, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _scores(course: Path, assignment: str) -> dict[str, tuple[str, float]]:
    from csm_academy.grading.layout import CourseLayout
    from csm_academy.grading.run import load_records

    records = load_records(CourseLayout(course), assignment)
    return {r.key: (r.status.value, sum(q.points for q in r.questions)) for r in records}


def _report(name: str, seconds: float, peak: int, n: int, workers: int) -> float:
    per_worker = n / seconds / workers
    needed = math.ceil(MODULE_SIZE / (per_worker * HOUR))
    print(
        f"{name:34s} {seconds:7.1f} s wall, {n / seconds:5.2f} submissions/s, {per_worker:5.2f} per worker, "
        f"peak {peak / 2**20:,.0f} MiB (command and its children); {MODULE_SIZE:,} in an hour needs {needed} "
        "such workers"
    )
    return per_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--assignment", default="01_nrr_math")
    parser.add_argument("--workers", type=int, default=2, help="workers in each setup (default 2)")
    parser.add_argument("--hangers", type=int, default=2, help="notebooks that hang until the cell limit")
    parser.add_argument("--cell-timeout", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary courses")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    first = _course(tmp / "local", args.assignment, {}, env)
    release = nbtools.load(first / "release" / args.assignment / f"{args.assignment}.ipynb")
    cohort = _limit_hangers(_cohort(args.assignment, release, args.submissions), release, args.assignment, args.hangers)
    shutil.rmtree(tmp / "local")
    courses = {name: _course(tmp / name, args.assignment, cohort, env) for name in ("local", "scheduler")}
    hangs = sum(name.endswith("hangs") for name in cohort)
    print(f"{len(cohort)} submissions of {args.assignment} ({hangs} hang), {args.workers} workers, in {tmp}")
    grade = [str(bindir / "csm-academy"), "grade", args.assignment, "--no-progress"]
    grade += ["--cell-timeout", str(args.cell_timeout)]

    seconds, peak, run = _timed([*grade, "--course", str(courses["local"]), "--workers", str(args.workers)], tmp, env)
    print(run.stdout.strip().splitlines()[0] if run.returncode == 0 else run.stderr[-800:])
    local = _report("local cluster (started by the run)", seconds, peak, len(cohort), args.workers)

    with _dask_processes(tmp, args.workers, env) as address:
        seconds, peak, run = _timed([*grade, "--course", str(courses["scheduler"]), "--scheduler", address], tmp, env)
    print(run.stdout.strip().splitlines()[0] if run.returncode == 0 else run.stderr[-800:])
    remote = _report("scheduler + workers on 127.0.0.1", seconds, peak, len(cohort), args.workers)

    a, b = _scores(courses["local"], args.assignment), _scores(courses["scheduler"], args.assignment)
    same = sum(a[k] == b.get(k) for k in a)
    print(f"same status and score in both runs: {same} of {len(a)} submissions")
    slower = min(local, remote)
    print(
        f"at the slower rate, {slower:.2f} submissions/s per worker: a {MODULE_SIZE:,}-submission module needs "
        f"{math.ceil(MODULE_SIZE / (slower * HOUR))} workers (one core each) to finish within an hour"
    )
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
