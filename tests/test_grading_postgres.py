"""A PostgreSQL gradebook: a real server started on loopback for the test, scores equal to the SQLite run."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from csm_academy.grading.layout import with_installed_driver
from tests import nbtools
from tests.answers.nrr_math import WRONG
from tests.test_grading_cohort import CLI, _env_without_venv, _grade, _submit
from tests.test_grading_dask import NB, A, _totals

pytestmark = pytest.mark.slow


def _postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries: Debian puts them in /usr/lib/postgresql/<version>/bin."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()],
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _missing(reason: str):
    if os.environ.get("CI_REQUIRE_POSTGRES") == "1":  # set by .ci/run, which installs the server
        pytest.fail(f"PostgreSQL is required in CI but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throw-away PostgreSQL server on 127.0.0.1 with an empty ``gradebook`` database; its URL."""
    bindir = _postgres_bin()
    if bindir is None or not (bindir / "pg_ctl").exists():
        _missing("the PostgreSQL server is not installed (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres account
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _missing("running as root and there is no 'postgres' account to run the server as")
        as_user = ["runuser", "-u", "postgres", "--"]
    # Short path: the server's Unix socket path must fit in about 100 bytes.
    tmp = Path(tempfile.mkdtemp(prefix="csm-pg-"))
    if owner is not None:
        os.chown(tmp, owner.pw_uid, owner.pw_gid)
    data, port = tmp / "data", _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{cmd[0]} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}"

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
    # fsync off: a test server has nothing to keep after a crash, and it makes each commit cheap.
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={tmp} -c fsync=off"
    started = False
    try:
        log = str(tmp / "server.log")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", log, "-w", "-t", "60", "-o", options, "start")
        started = True
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"  # the form the README shows
    finally:
        if started:
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


def _release(root: Path, *extra: str) -> Path:
    """A course with the assignment released (into the gradebook ``extra`` names, if any)."""
    course = root / "course"
    course.mkdir(parents=True)
    (course / "source").symlink_to(nbtools.EXERCISES)
    run = subprocess.run(
        [CLI, "release", A, "--course", str(course), *extra],
        env=_env_without_venv(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return course


def _cohort(course: Path) -> None:
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    _submit(course, "ref", nbtools.submission(release, ref))
    _submit(course, "untouched", release)
    _submit(course, "mis-grr", nbtools.submission(release, {**ref, "q2_grr": WRONG["grr_includes_expansion"][1]}))
    _submit(course, "mis-nrr", nbtools.submission(release, {**ref, "q1_nrr": "def nrr(report):\n    return 0.5\n"}))
    edited = nbtools.submission(release, ref)
    for cell in edited["cells"]:
        if nbtools.nbgrader_meta(cell).get("grade_id") == "q2_grr":
            cell["source"] = "pass  # no checks here"
    _submit(course, "tampered", edited)


def _scores(url: str) -> dict[str, tuple[float, dict[str, float]]]:
    """Per trainee, the submission's score and each graded cell's score, read through nbgrader's API."""
    from nbgrader.api import Gradebook

    with Gradebook(with_installed_driver(url)) as gb:  # plain nbgrader needs the driver named
        out = {}
        for sub in gb.find_assignment(A).submissions:
            nb = gb.find_submission_notebook(NB.removesuffix(".ipynb"), A, sub.student_id)
            out[sub.student_id] = (sub.score, {g.name: g.score for g in nb.grades})
        return out


def test_a_postgresql_gradebook_holds_the_same_scores_as_sqlite(postgres_url, tmp_path):
    runs = {}
    for name, extra in (("sqlite", ()), ("postgres", ("--db-url", postgres_url))):
        course = _release(tmp_path / name, *extra)
        _cohort(course)
        run = _grade(course, "--workers", "2", *extra, timeout=600)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
        assert "graded 5 submissions" in run.stdout
        runs[name] = course
    sqlite = _scores(f"sqlite:///{runs['sqlite'] / 'gradebook.db'}")
    postgres = _scores(postgres_url)
    assert set(sqlite) == {"ref", "untouched", "mis-grr", "mis-nrr", "tampered"}
    assert postgres == sqlite
    assert not (runs["postgres"] / "gradebook.db").exists()  # nothing went to a SQLite file on the side
    assert _totals(runs["postgres"]) == _totals(runs["sqlite"])
    assert sqlite["ref"][0] > sqlite["mis-grr"][0] > sqlite["untouched"][0] == 0  # scores that tell apart


def test_an_unreachable_gradebook_server_is_a_clear_error(tmp_path):
    course = _release(tmp_path)
    _submit(course, "someone", nbtools.load(course / "release" / A / NB))
    port = _free_port()  # nothing listens there
    run = _grade(course, "--db-url", f"postgresql+psycopg2://grader:s3cret@127.0.0.1:{port}/gradebook", timeout=600)
    assert run.returncode == 2
    assert f"cannot open the gradebook at postgresql+psycopg2://grader:***@127.0.0.1:{port}/gradebook" in run.stderr
    assert "s3cret" not in run.stderr
