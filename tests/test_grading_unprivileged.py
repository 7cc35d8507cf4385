"""`csm-academy grade` where no pids cgroup holds a submission: run by an unprivileged instructor (a user this
module creates), and by root with cgroups turned off. Real users, real kernels, real sandbox."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_academy.grading.sandbox import DEDICATED_ID, NO_CGROUPS_ENV, Limits
from tests import nbtools
from tests.test_grading_cohort import (
    CLI,
    FORK_BOMB,
    NB,
    SNOOP,
    TOTAL,
    A,
    _build_course,
    _cell_outputs,
    _env_without_venv,
    _submit,
    _total,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="creates a user and switches to it: CI runs the suite as root"),
]
CAP = Limits().processes
GRADE = ["grade", A, "--no-progress", "--cell-timeout", "8", "--timeout", "40"]


@pytest.fixture(scope="module")
def runtime_open_to_others() -> Iterator[None]:
    """Let other uids pass through the folders above this Python and the repository while the module runs.

    A CI clone under /root, or a Python installed there (pyenv), is out of any other uid's reach. Only the
    execute bit for others, only on folders that lack it, and put back at the end: what is inside must
    already be readable by others, as a checkout made with the usual umask is.
    """
    changed: dict[Path, int] = {}
    needed = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent, nbtools.REPO]
    try:
        for folder in {parent for path in needed for parent in path.resolve().parents}:
            mode = stat.S_IMODE(folder.stat().st_mode)
            if not mode & stat.S_IXOTH:
                changed[folder] = mode
                folder.chmod(mode | stat.S_IXOTH)
        yield
    finally:
        for folder, mode in changed.items():
            folder.chmod(mode)


def _processes_of(uid: int) -> set[int]:
    """Live processes (not zombies) with ``uid`` as their real or effective uid."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):  # ended while we read
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            if not status["State"].strip().startswith("Z") and uid in map(int, status["Uid"].split()[:2]):
                pids.add(int(entry.name))
    return pids


def _left_behind(uid: int, expected: set[int], seconds: float = 10) -> set[int]:
    """Processes of ``uid`` beyond ``expected`` still there after a short grace (a killed sandbox takes a moment)."""
    deadline = time.monotonic() + seconds
    while (left := _processes_of(uid) - expected) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _kill(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _as_user(user: pwd.struct_passwd) -> list[str]:
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]


def _chown_tree(top: Path, user: pwd.struct_passwd) -> None:
    for folder, dirs, files in os.walk(top):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.chown(name, user.pw_uid, user.pw_gid, follow_symlinks=False)


def _forks(course: Path, trainee: str) -> int:
    """How many children the fork bomb made before fork failed."""
    printed = json.loads(_cell_outputs(course, trainee, "q2_grr-answer"))[0]["text"]
    return int("".join(printed).split()[1])  # FORK-BOMB <forks> [its pids cgroup]


@pytest.fixture(scope="module")
def instructor(runtime_open_to_others) -> Iterator[tuple[pwd.struct_passwd, Path]]:
    """An unprivileged user made for this module, its own folder (its home), removed at the end."""
    name = f"csm-grader-{os.getpid()}"
    folder = Path(tempfile.mkdtemp(prefix="csm-unprivileged-"))  # not pytest's tmp_path: only root may enter that
    made = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", str(folder), name],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    user = pwd.getpwnam(name)
    try:
        os.chown(folder, user.pw_uid, user.pw_gid)
        runs = subprocess.run([*_as_user(user), sys.executable, "-c", "import csm_academy"], capture_output=True)
        if runs.returncode != 0:
            pytest.fail(
                f"an unprivileged user cannot run {sys.executable} and the course package; the clone and its "
                f"virtual environment must be readable by others: {runs.stderr.decode()[-500:]}"
            )
        yield user, folder
    finally:
        _kill(_processes_of(user.pw_uid))
        subprocess.run(["userdel", name], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def unprivileged_run(instructor):
    """One `grade` run by the unprivileged instructor, on a course of its own, while it has more processes than
    the cap elsewhere: the reference, a fork bomb, an 8 GiB allocation and the snooping probe."""
    user, folder = instructor
    course = _build_course(folder)
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    listener = socket.create_server(("127.0.0.1", 0))  # what the snooping submission dials
    unix_path = (Path("/run") if os.access("/run", os.W_OK) else folder) / f"csm-academy-test-{os.getpid()}.sock"
    unix_listener = socket.socket(socket.AF_UNIX)
    unix_listener.bind(str(unix_path))
    unix_listener.listen()
    snoop = (
        f"COURSE = {str(course)!r}\nREPO = {str(nbtools.REPO)!r}\nPORT = {listener.getsockname()[1]}\n"
        f"UNIX_SOCKET = {str(unix_path)!r}\n" + SNOOP
    )
    answers = {
        "reference": {},
        "fork-bomb": {"q2_grr": FORK_BOMB + ref["q2_grr"]},
        "memory-hog": {"q2_grr": "hog = bytearray(8 * 2**30)\n" + ref["q2_grr"]},
        "snoop": {"q1_nrr": snoop + ref["q1_nrr"]},
    }
    hashes = {
        name: nbtools.sha256(_submit(course, name, nbtools.submission(release, {**ref, **code})))
        for name, code in answers.items()
    }
    (folder / "tmp").mkdir()
    _chown_tree(folder, user)  # the course is the instructor's: its secret and gradebook too
    env = {k: v for k, v in _env_without_venv().items() if not k.startswith(("XDG_", "JUPYTER_"))}
    env.update(HOME=str(folder), USER=user.pw_name, LOGNAME=user.pw_name, TMPDIR=str(folder / "tmp"))
    # More processes of the instructor than the cap, outside any sandbox: a limit counting every process of the
    # uid would leave the fork bomb no fork at all.
    crowd = subprocess.Popen(
        [*_as_user(user), "sh", "-c", f"for i in $(seq {CAP + 10}); do sleep 600 & done; wait"],
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(_processes_of(user.pw_uid)) < CAP + 11 and time.monotonic() < deadline:
        time.sleep(0.1)
    others = _processes_of(user.pw_uid)
    assert len(others) > CAP, "the crowd of the instructor's own processes did not start"
    started = time.monotonic()
    try:
        with listener, unix_listener:
            run = subprocess.run(
                [*_as_user(user), CLI, *GRADE, "--course", str(course)],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
        seconds = time.monotonic() - started
        left = _left_behind(user.pw_uid, others)
    finally:
        unix_path.unlink()
        _kill(others)
        crowd.wait(timeout=30)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    print(f"unprivileged grade run: {seconds:.1f} s; the fork bomb made {_forks(course, 'fork-bomb')} children")
    rows = {r["trainee"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    return course, hashes, rows, run, left


def test_an_unprivileged_grader_says_rlimit_nproc_holds_each_sandbox(unprivileged_run):
    _, _, _, run, _ = unprivileged_run
    assert "128 processes (RLIMIT_NPROC, counted in the sandbox's own user namespace" in run.stdout


def test_the_reference_gets_full_marks_from_an_unprivileged_grader(unprivileged_run):
    _, _, rows, _, _ = unprivileged_run
    assert rows["reference"]["status"] == "graded" and _total(rows["reference"]) == TOTAL


def test_a_fork_bomb_stops_near_the_cap_though_the_grader_has_more_processes_elsewhere(unprivileged_run):
    course, _, _, _, _ = unprivileged_run
    # Its kernel's threads and bwrap's init take the rest of the 128; the crowd outside does not count.
    assert CAP // 2 < _forks(course, "fork-bomb") < CAP


def test_a_capped_fork_bomb_stops_its_check_cell_but_its_right_answer_still_counts(unprivileged_run):
    course, _, rows, _, _ = unprivileged_run
    # The notebook's own check cell cannot start a thread while the bomb's children hold every process;
    # the grader's requests for the answer need none, so the right answer is judged right.
    assert "can't start new thread" in _cell_outputs(course, "fork-bomb", "q2_grr")
    assert (rows["fork-bomb"]["status"], _total(rows["fork-bomb"])) == ("graded", TOTAL)


def test_an_allocation_past_the_address_space_fails_in_its_cell(unprivileged_run):
    course, _, _, _, _ = unprivileged_run
    assert "MemoryError" in _cell_outputs(course, "memory-hog", "q2_grr-answer")


def test_the_snooping_probe_finds_nothing_though_the_course_is_the_graders_own(unprivileged_run):
    course, _, _, _, _ = unprivileged_run
    # The kernel runs with the instructor's host uid, which owns the secret and gradebook: only the view hides them.
    assert "SNOOP []" in (course / "autograded" / "snoop" / A / NB).read_text()


def test_raw_submissions_are_byte_identical_after_an_unprivileged_run(unprivileged_run):
    course, hashes, _, _, _ = unprivileged_run
    assert {name: nbtools.sha256(course / "submitted" / name / A / NB) for name in hashes} == hashes


def test_no_process_of_the_unprivileged_grader_outlives_its_run(unprivileged_run):
    _, _, _, _, left = unprivileged_run
    assert left == set()


@pytest.fixture(scope="module")
def root_without_cgroups(runtime_open_to_others, tmp_path_factory):
    """One `grade` run as root with cgroups turned off, so kernels must run as the dedicated uid: a fork bomb."""
    course = _build_course(tmp_path_factory.mktemp("no-cgroups"))
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    _submit(course, "fork-bomb", nbtools.submission(release, {**ref, "q2_grr": FORK_BOMB + ref["q2_grr"]}))
    before = _processes_of(DEDICATED_ID)
    started = time.monotonic()
    run = subprocess.run(
        [CLI, *GRADE, "--course", str(course)],
        env={**_env_without_venv(), NO_CGROUPS_ENV: "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    seconds = time.monotonic() - started
    print(f"root grade run without cgroups: {seconds:.1f} s; the fork bomb made {_forks(course, 'fork-bomb')} children")
    return course, run, _left_behind(DEDICATED_ID, before)


def test_root_without_a_pids_cgroup_says_kernels_run_as_the_dedicated_uid(root_without_cgroups):
    _, run, _ = root_without_cgroups
    assert f"128 processes (RLIMIT_NPROC, kernels run as the dedicated uid {DEDICATED_ID}" in run.stdout


def test_root_without_a_pids_cgroup_still_stops_a_fork_bomb_near_the_cap(root_without_cgroups):
    course, _, _ = root_without_cgroups
    # As root the limit would not hold at all: the bomb would make all its 5000 children.
    assert CAP // 2 < _forks(course, "fork-bomb") < CAP


def test_no_process_of_the_dedicated_uid_outlives_the_run(root_without_cgroups):
    _, _, left = root_without_cgroups
    assert left == set()
