"""A cohort's grading run: `csm-academy grade` against plain `nbgrader autograde`, side by side.

Run: python benchmarks/bench_grading.py [--submissions 200] [--assignment 01_nrr_math]
The cohort mixes reference answers, every known misconception, untouched releases and a few
notebooks that hang. Both runs use the same machine, course, submissions and cell time limit; the
script prints both wall times, the ratio, peak memory of each run's process tree, and whether the
scores agree on every submission (a hanging task is interrupted by both, and the rest graded).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import nbtools  # noqa: E402


def _cohort(assignment: str, release: dict, n: int) -> dict[str, dict]:
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / assignment / f"{assignment}.ipynb"))
    wrong = {}
    answers = REPO / "tests" / "answers"
    for module in answers.glob("*.py"):
        ns: dict = {}
        exec(module.read_text(), ns)
        for mid, (qid, code) in ns.get("WRONG", {}).items():
            if qid in ref:
                wrong[mid] = (qid, code)
    first = next(iter(ref))
    kinds = ["reference", "untouched", *sorted(wrong), "hangs"]
    cohort = {}
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind == "reference":
            nb = nbtools.submission(release, ref)
        elif kind == "untouched":
            nb = release
        elif kind == "hangs":
            nb = nbtools.submission(release, {**ref, first: "while True:\n    pass\n"})
        else:
            qid, code = wrong[kind]
            nb = nbtools.submission(release, {**ref, qid: code})
        cohort[f"s{i:04d}-{kind}"[:60]] = nb
    return cohort


def _watch(proc: subprocess.Popen, peak: list[int]) -> None:
    try:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = 0
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a child that just exited
                    total += p.memory_info().rss
            peak[0] = max(peak[0], total)
            time.sleep(0.25)
    except psutil.Error:
        pass


def _timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int, subprocess.CompletedProcess]:
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = threading.Thread(target=_watch, args=(proc, peak), daemon=True)
    watcher.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    watcher.join(timeout=2)
    return seconds, peak[0], subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--assignment", default="01_nrr_math")
    parser.add_argument("--cell-timeout", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary courses")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    courses = {}
    for name in ("ours", "plain"):
        course = tmp / name / "course"
        course.mkdir(parents=True)
        (course / "source").symlink_to(nbtools.EXERCISES)
        shutil.copy(REPO / "autograder" / "nbgrader_config.py", tmp / name / "nbgrader_config.py")
        courses[name] = course
    subprocess.run(
        [str(bindir / "nbgrader"), "generate_assignment", args.assignment, "--force"],
        cwd=tmp / "plain",
        env=env,
        check=True,
        capture_output=True,
    )
    release = nbtools.load(courses["plain"] / "release" / args.assignment / f"{args.assignment}.ipynb")
    cohort = _cohort(args.assignment, release, args.submissions)
    for course in courses.values():
        for trainee, nb in cohort.items():
            path = course / "submitted" / trainee / args.assignment / f"{args.assignment}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(nb))
    print(f"{len(cohort)} submissions of {args.assignment} in {tmp}")

    t_ours, m_ours, run = _timed(
        [
            str(bindir / "csm-academy"),
            "grade",
            args.assignment,
            "--course",
            str(courses["ours"]),
            "--no-progress",
            "--cell-timeout",
            str(args.cell_timeout),
        ],
        tmp / "ours",
        env,
    )
    print(run.stdout.strip().splitlines()[0] if run.stdout.strip() else run.stderr[-500:])
    t_plain, m_plain, run_plain = _timed(
        [str(bindir / "nbgrader"), "autograde", args.assignment, f"--Execute.timeout={args.cell_timeout}"],
        tmp / "plain",
        env,
    )
    if run_plain.returncode != 0:
        print("plain nbgrader exited", run_plain.returncode, run_plain.stderr[-500:])

    from nbgrader.api import Gradebook

    from csm_academy.grading.layout import CourseLayout
    from csm_academy.grading.run import load_records

    ours = {record.key: record for record in load_records(CourseLayout(courses["ours"]), args.assignment)}
    agree = differ = 0
    with Gradebook(f"sqlite:///{courses['plain'] / 'gradebook.db'}") as gb:
        for trainee in cohort:  # those that hang too: both graders interrupt the task and grade the rest
            mine = sum(q.points for q in ours[f"{trainee}/{args.assignment}.ipynb"].questions)
            theirs = gb.find_submission(args.assignment, trainee).score
            agree += mine == theirs
            differ += mine != theirs
    print(
        f"csm-academy grade : {t_ours:7.1f} s wall, {t_ours / len(cohort):.2f} s per submission, "
        f"peak {m_ours / 2**20:,.0f} MiB"
    )
    print(
        f"nbgrader autograde: {t_plain:7.1f} s wall, {t_plain / len(cohort):.2f} s per submission, "
        f"peak {m_plain / 2**20:,.0f} MiB"
    )
    print(f"speed-up: {t_plain / t_ours:.2f}x; scores agree on {agree} of {agree + differ} submissions")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
