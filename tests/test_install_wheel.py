"""The course as an install gets it: a trainee's wheel opened in a workspace, an instructor's course from it.

The slow test builds the wheel from the checkout, installs it (no extras) with the pinned constraints,
makes and releases a course from the packaged sources, serves a new workspace with the installed
`csm-academy open`, reads everything the server serves through Jupyter's contents API, and runs module 1's
teaching notebook in that workspace.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from csm_academy.cli import main
from csm_academy.content import exercise_sources, nbgrader_config
from csm_academy.grading.course_config import load_course_config
from csm_academy.grading.layout import CourseLayout, git_dirs
from csm_academy.grading.run import default_course_root
from csm_academy.workspace.files import SOLUTION_MARKERS, START_PAGE

REPO = Path(__file__).resolve().parents[1]
#: Installed only by the instructor and postgres extras: a trainee's environment must not hold them.
INSTRUCTOR_ONLY = ("dask", "distributed", "rich", "psycopg2")
#: Modules that exist to grade at scale, and may import INSTRUCTOR_ONLY packages when they are imported.
GRADING_AT_SCALE = ("csm_academy.grading.cluster",)
TOKEN = "wheel-test"


def test_nothing_a_trainee_runs_imports_an_instructor_only_package():
    # Every module of the package but the cluster grader, in a fresh interpreter.
    code = f"""
import importlib, pkgutil, sys
import csm_academy
for found in pkgutil.walk_packages(csm_academy.__path__, "csm_academy."):
    if found.name not in {GRADING_AT_SCALE!r} and found.name != "csm_academy.__main__":
        importlib.import_module(found.name)
print(sorted({{m.partition(".")[0] for m in sys.modules}} & set({INSTRUCTOR_ONLY!r})))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"


def test_a_graded_kernel_never_sees_the_sources_nor_the_checkouts_grading_folders_and_history(tmp_path):
    hidden = CourseLayout(tmp_path / "course").hidden_from_trainees()
    unseen = [exercise_sources().resolve(), REPO / "exercises", REPO / "autograder", *git_dirs(REPO)]
    assert [p for p in unseen if not any(p.resolve() == h or h in p.resolve().parents for h in hidden)] == []


def test_course_init_makes_a_course_of_the_packaged_sources_that_the_instructor_verbs_find_from_its_folder(
    tmp_path, monkeypatch
):
    assert main(["course", "init", str(tmp_path / "grading")]) == 0
    course = tmp_path / "grading" / "course"
    made = sorted(p.relative_to(course / "source") for p in (course / "source").rglob("*.ipynb"))
    assert made == sorted(p.relative_to(exercise_sources()) for p in exercise_sources().rglob("*.ipynb"))
    assert (tmp_path / "grading" / "nbgrader_config.py").read_bytes() == nbgrader_config().read_bytes()
    monkeypatch.chdir(tmp_path / "grading")
    assert default_course_root() == course
    config = load_course_config(course)  # the copied config names course/ as its root, so it applies
    assert config.files == (tmp_path / "grading" / "nbgrader_config.py",) and config.cell_timeout == 60


def test_course_init_refuses_a_folder_that_holds_files_in_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["course", "init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already holds files" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def _checkout_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, never ignored), links kept as links.

    Built from a copy, so the build's own folders (build/, *.egg-info) never land in a checkout others use.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.exists() and not source.is_symlink():  # deleted in the working tree
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            (target / name).symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target / name)
    return target


def _run(cmd: list[str], timings: dict[str, float], step: str, **kwargs) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    timings[step] = time.monotonic() - started
    assert run.returncode == 0, f"{step} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    return run


def _trainee_env(tmp: Path, venv: Path) -> dict[str, str]:
    """The environment of a trainee who has only that venv: no other venv on PATH, Jupyter's own folders fresh."""
    here = str(Path(sys.executable).parent)
    path = [str(venv / "bin"), *(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != here)]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(path)
    for name in ("JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(tmp / "jupyter" / name.lower())  # no user-wide kernel or config can stand in
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str, *, content: bool) -> dict:
    url = f"{base}/api/contents/{urllib.request.quote(path)}?token={TOKEN}&content={int(content)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _served(base: str) -> dict[str, str]:
    """Every file the server serves, walked through the contents API, with its content as text."""
    found: dict[str, str] = {}
    folders = [""]
    while folders:
        for item in _api(base, folders.pop(), content=True)["content"]:
            if item["type"] == "directory":
                folders.append(item["path"])
            else:
                model = _api(base, item["path"], content=True)
                body = model["content"]
                found[item["path"]] = body if isinstance(body, str) else json.dumps(body)
    return found


def _wait_for(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                assert resp.status == 200
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_a_wheel_installed_for_a_trainee_serves_the_course_and_nothing_of_the_instructors(tmp_path):
    timings: dict[str, float] = {}
    dist, venv, empty = tmp_path / "dist", tmp_path / "venv", tmp_path / "empty"
    empty.mkdir()
    source = _checkout_copy(tmp_path / "checkout")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)], timings, "build")
    (wheel,) = dist.glob("csm_academy-*.whl")
    # Without a pip of its own (seeding one takes seconds): this environment's pip installs into it.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timings, "venv")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    _run([*pip, "install", "-q", "-c", str(REPO / "constraints.txt"), str(wheel)], timings, "install")
    env = _trainee_env(tmp_path, venv)

    # The trainee's install: none of the grader's packages, and grading says what to install, in one line.
    probe = f"import importlib.util as u; print([m for m in {INSTRUCTOR_ONLY!r} if u.find_spec(m)])"
    assert _run([str(venv / "bin" / "python"), "-c", probe], timings, "probe", env=env).stdout.strip() == "[]"
    # Installed, the package is no checkout, and a graded kernel is still denied its copy of the sources.
    probe = (
        "from pathlib import Path; from csm_academy.content import checkout_root, exercise_sources as s; "
        "from csm_academy.grading.layout import CourseLayout as C; "
        "print(checkout_root(), s().is_dir(), s().resolve() in C(Path('course')).hidden_from_trainees())"
    )
    assert _run([str(venv / "bin" / "python"), "-c", probe], timings, "probe", env=env).stdout.split() == [
        "None",
        "True",
        "True",
    ]
    cli = str(venv / "bin" / "csm-academy")
    grade = subprocess.run([cli, "grade", "01_nrr_math"], cwd=empty, env=env, capture_output=True, text=True)
    assert grade.returncode == 2 and grade.stdout == ""
    assert grade.stderr.count("\n") == 1 and "csm-academy[instructor]" in grade.stderr, grade.stderr
    print(f"grade in the trainee's install: {grade.stderr.strip()}")
    report = subprocess.run([cli, "report", "01_nrr_math"], cwd=empty, env=env, capture_output=True, text=True)
    assert report.returncode == 2 and report.stderr.count("\n") == 1, report.stderr
    assert "pass --course DIR" in report.stderr and "csm-academy course init DIR" in report.stderr

    # An instructor with only the wheel: a course folder from the packaged sources, released from where it is.
    _run([cli, "course", "init", "grading"], timings, "course init", cwd=empty, env=env)
    _run([cli, "release", "01_nrr_math"], timings, "release", cwd=empty / "grading", env=env)
    released = (empty / "grading" / "course" / "release" / "01_nrr_math" / "01_nrr_math.ipynb").read_text()
    assert "def " in released and [m for m in SOLUTION_MARKERS if m in released] == []
    postgres = subprocess.run(
        [cli, "release", "01_nrr_math", "--db-url", "postgresql://grader@127.0.0.1:9/gradebook"],
        cwd=empty / "grading",
        env=env,
        capture_output=True,
        text=True,
    )
    assert postgres.returncode == 2 and postgres.stderr.count("\n") == 1, postgres.stderr
    assert "csm-academy[postgres]" in postgres.stderr
    shutil.rmtree(empty / "grading")  # the server below starts in an empty folder

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    workspace = empty / "W"
    started = time.monotonic()
    server = subprocess.Popen(
        [
            cli,
            "open",
            "--no-browser",
            "--workspace",
            "W",
            "--port",
            str(port),
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={TOKEN}",
            "--LabApp.news_url=None",
        ],
        cwd=empty,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the server and its kernels stop together
    )
    try:
        _wait_for(f"{base}/lab/tree/{START_PAGE}?token={TOKEN}", server, 120)
        timings["open"] = time.monotonic() - started
        served = _served(base)
        teaching = {f"course/{p.name}" for p in (REPO / "course").glob("*.ipynb")}
        exercises = {f"exercises/{p.name}/{p.name}.ipynb" for p in (REPO / "exercises" / "source").iterdir()}
        assert START_PAGE in teaching and len(teaching) >= 5 and len(exercises) >= 4
        assert set(served) == teaching | exercises
        leaks = [f"{path}: {m}" for path, text in served.items() for m in SOLUTION_MARKERS if m in text]
        assert not leaks

        # Module 1 top to bottom in the trainee's environment, from its folder in the workspace.
        _run(
            [
                str(venv / "bin" / "jupyter"),
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--ExecutePreprocessor.timeout=300",
                "--output-dir",
                str(tmp_path / "executed"),
                "01_nrr_math.ipynb",
            ],
            timings,
            "module 1",
            cwd=workspace / "course",
            env=env,
            timeout=600,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    executed = json.loads((tmp_path / "executed" / "01_nrr_math.ipynb").read_text())
    assert all(o.get("output_type") != "error" for c in executed["cells"] for o in c.get("outputs", []))
    print("wheel test timings (s): " + ", ".join(f"{step} {seconds:.1f}" for step, seconds in timings.items()))
