"""`csm-academy grade` on a cohort with honest and hostile submissions: real kernels, real sandbox."""

from __future__ import annotations

import csv
import html
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csm_academy.grading.bounded_client import MAX_OUTPUT_BYTES
from csm_academy.grading.sandbox import GROUP_PARENT, LIMIT_ROOTS, PIDS_ROOT, SCRATCH_PREFIX, Limits, owner_gone
from csm_academy.lessons import nrr_math
from tests import nbtools
from tests.answers.nrr_math import ALWAYS_EQUAL, WRONG

pytestmark = pytest.mark.slow
A = "01_nrr_math"
NB = f"{A}.ipynb"
POINTS = {q.qid: q.points for q in nrr_math.QUESTIONS}
TOTAL = sum(POINTS.values())
CLI = str(Path(sys.executable).parent / "csm-academy")
WRONG_NRR = "def nrr(report):\n    return 0.5\n"

SNOOP = """
import os, socket, glob
def _can_read(path):
    try:
        with open(path, 'rb') as fh:
            fh.read(1)
        return True
    except OSError:
        return False
findings = {
    'secret': _can_read(COURSE + '/.course-secret'),
    'gradebook': _can_read(COURSE + '/gradebook.db'),
    'source': _can_read(REPO + '/exercises/source/01_nrr_math/01_nrr_math.ipynb'),
    'others': bool(glob.glob(COURSE + '/submitted/*')),
}
try:  # a listener the test opened on the host's loopback
    socket.create_connection(('127.0.0.1', PORT), timeout=2).close()
    findings['network'] = True
except OSError:
    findings['network'] = False
try:  # a Unix socket the test opened on the host (under /run when it can: where real services listen)
    unix = socket.socket(socket.AF_UNIX)
    unix.settimeout(2)
    unix.connect(UNIX_SOCKET)
    unix.close()
    findings['unix_socket'] = True
except OSError:
    findings['unix_socket'] = False
status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines() if ':' in line)
findings['capabilities'] = any(int(status[k].strip(), 16) for k in ('CapEff', 'CapPrm', 'CapBnd', 'CapAmb'))
findings['root_uid'] = os.getuid() == 0 or os.geteuid() == 0
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
findings['mount'] = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) == 0
findings['new_namespace'] = libc.unshare(0x10000000) == 0  # CLONE_NEWUSER: a way back to capabilities
import csm_academy
package = os.path.dirname(csm_academy.__file__)
findings['reference_code'] = bool(
    glob.glob(package + '/**/reference.py', recursive=True) + glob.glob(package + '/metrics/*.py')
    + glob.glob(package + '/grading/*.py')
)
import importlib.util
findings['debugger'] = importlib.util.find_spec('debugpy.server') is not None  # ipykernel's, of no use here
findings['host_files'] = any(os.path.exists(p) for p in ('/etc/shadow', '/etc/passwd', '/root/.bashrc', '/run', '/sys'))
try:  # refused, or lands in the sandbox's throw-away /tmp when the repository lives under /tmp
    with open(REPO + '/SANDBOX-ESCAPE', 'w') as fh:
        fh.write('x')
except OSError:
    pass
print('SNOOP', sorted(k for k, v in findings.items() if v))
"""

# Forks until the pids cap stops it, leaves every child asleep, and prints how far it got and its own cgroup.
FORK_BOMB = (
    "import os, time\n"
    "forks = 0\n"
    "for _ in range(5000):\n"
    "    try:\n"
    "        pid = os.fork()\n"
    "    except OSError:\n"
    "        break\n"
    "    if pid == 0:\n"
    "        time.sleep(30)\n"
    "        os._exit(0)\n"
    "    forks += 1\n"
    "group = [line.split(':', 2)[2] for line in open('/proc/self/cgroup').read().splitlines()"
    " if line.split(':')[1] == 'pids']\n"
    "print('FORK-BOMB', forks, *group)\n"
)

# Three children each fill 1.25 GiB and hold it until all three have (or were killed): every one is under
# the 3 GiB a single process may address, together they are over the 3 GiB the whole submission may hold.
# Prints how many children the kernel's memory cap killed.
MEMORY_FORKS = (
    "import os, select, signal\n"
    "ready_r, ready_w = os.pipe()\n"
    "go_r, go_w = os.pipe()\n"
    "children = []\n"
    "for _ in range(3):\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        os.close(go_w)\n"
    "        block = b'x' * (5 * 2**28)\n"
    "        os.write(ready_w, b'1')\n"
    "        os.read(go_r, 1)\n"
    "        os._exit(0)\n"
    "    children.append(pid)\n"
    "ready, ended = 0, {}\n"
    "while ready + len(ended) < 3:\n"
    "    if select.select([ready_r], [], [], 0.2)[0]:\n"
    "        ready += len(os.read(ready_r, 3))\n"
    "    for pid in children:\n"
    "        if pid not in ended:\n"
    "            done, status = os.waitpid(pid, os.WNOHANG)\n"
    "            if done:\n"
    "                ended[pid] = status\n"
    "os.close(go_w)\n"
    "for pid in children:\n"
    "    if pid not in ended:\n"
    "        ended[pid] = os.waitpid(pid, 0)[1]\n"
    "print('MEMORY-FORKS', sum(os.WIFSIGNALED(s) and os.WTERMSIG(s) == signal.SIGKILL for s in ended.values()))\n"
)

# Reach for the course's own NRR calculation four ways: an import by a built name, the metrics module
# through sys.modules after a plain import, reading the reference file from disk, and a hook that answers
# the grader's request itself. Each returns the right NRR wherever the references can be reached
# (tests/test_grading_edition.py proves it outside the sandbox); inside it they must all come back empty.
REACH_REFERENCE = (
    "import glob, importlib, os, sys\n"
    "def _course_nrr(report):\n"
    "    for name in ('csm_academy.lessons.nrr_' + 'math.reference', 'csm_academy.metrics.' + 'retention'):\n"
    "        try:\n"
    "            module = importlib.import_module(name)\n"
    "        except ImportError:\n"
    "            continue\n"
    "        return getattr(module, 'nrr_of', None) and module.nrr_of(report) or module.nrr(report)\n"
    "    import csm_academy\n"
    "    root = os.path.dirname(csm_academy.__file__)\n"
    "    for path in glob.glob(root + '/metrics/retention.py'):\n"
    "        scope = {'__name__': 'stolen'}\n"
    "        exec(open(path).read(), scope)\n"
    "        return scope['nrr'](report)\n"
    "    return 0.5\n"
)
REFERENCE_HOOK = (
    REACH_REFERENCE + "import pickle, re\n"
    "from IPython import get_ipython\n"
    "from IPython.display import display\n"
    "def _answer_for_them(info):\n"
    "    found = re.search(r\"answer_case\\('nrr', 'function', '(\\w+)'\\)\", info.raw_cell or '')\n"
    "    if found:\n"
    "        folder = os.environ['CSM_ACADEMY_GRADING_DIR']\n"
    "        (report,) = pickle.load(open(folder + '/case-' + found.group(1) + '.pkl', 'rb'))\n"
    "        display({'application/vnd.csm-academy.result+json': {'nonce': found.group(1), 'status': 'ok',"
    " 'result': {'t': 'num', 'v': float(_course_nrr(report))}}}, raw=True)\n"
    "get_ipython().events.register('pre_run_cell', _answer_for_them)\n"
)

# Defines the function, which never returns: its check, not its answer cell, runs into the cell limit.
HANGS_WHEN_CALLED = "def retention_by_segment(report):\n    while True:\n        pass\n"

HOSTILE = {
    # Each patches the checking machinery in its own kernel, then gives a wrong answer.
    "patch-compare": "import csm_academy.questions.compare as c\nc.Number.same = lambda *a, **k: True\n" + WRONG_NRR,
    "patch-builtins": "import builtins, math\nbuiltins.float = lambda *a: 1.0\nmath.isclose = lambda *a, **k: True\n"
    + WRONG_NRR,
    "patch-grader": "import csm_academy.questions.view as v\nv.grade_hidden = lambda *a, **k: None\n" + WRONG_NRR,
    # Results planted before the grader asks: an old-style results file, and a result output with a guessed nonce.
    "planted-results": (
        "import json, os\n"
        "from IPython.display import display\n"
        "d = os.environ.get('CSM_ACADEMY_GRADING_DIR', '/nonexistent')\n"
        "open(d + '/results.jsonl', 'a').write(json.dumps({'qid': 'q1_nrr', 'label': 'unseen book 1',"
        " 'status': 'ok', 'result': {'t': 'num', 'v': 1.0}}) + '\\n')\n"
        "display({'application/vnd.csm-academy.result+json': {'nonce': '0' * 32, 'status': 'ok',"
        " 'result': {'t': 'num', 'v': 1.0}}}, raw=True)\n" + WRONG_NRR
    ),
    # Answers every request itself, under the request's own nonce, before the real harness can.
    "replaced-harness": (
        "import sys, types\n"
        "from IPython.display import display\n"
        "fake = types.ModuleType('csm_academy.questions.harness')\n"
        "fake.answer_case = lambda answer, kind, nonce: display({'application/vnd.csm-academy.result+json':"
        " {'nonce': nonce, 'status': 'ok', 'result': {'t': 'num', 'v': 1.0}}}, raw=True)\n"
        "sys.modules['csm_academy.questions.harness'] = fake\n" + WRONG_NRR
    ),
    "reaches-reference": REACH_REFERENCE + "def nrr(report):\n    return _course_nrr(report)\n",
    "reference-hook": REFERENCE_HOOK + WRONG_NRR,
    "frame-peek": (
        "import inspect\n"
        "def nrr(report):\n"
        "    for f in inspect.stack():\n"
        "        for k, v in f.frame.f_locals.items():\n"
        "            if k in ('expected', 'reference', 'exp') and isinstance(v, float):\n"
        "                return v\n"
        "    return 0.5\n"
    ),
}


def _env_without_venv() -> dict[str, str]:
    # The instructor has not activated the virtual environment: PATH lacks its bin on purpose.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


def _grade(course: Path, *extra: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, "grade", A, "--course", str(course), "--no-progress", "--cell-timeout", "8", "--timeout", "40", *extra],
        env=_env_without_venv(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _submit(course: Path, trainee: str, nb) -> Path:
    path = course / "submitted" / trainee / A / NB
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1))
    return path


def _build_course(root: Path) -> Path:
    course = root / "course"
    course.mkdir()
    (course / "source").symlink_to(nbtools.EXERCISES)
    run = subprocess.run(
        [CLI, "release", A, "--course", str(course), "--trainees", "ana,ben"],
        env=_env_without_venv(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return course


def groups_left_behind() -> list[str]:
    """Kernel cgroups whose grading process is gone: what a run must never leave on the host.

    Fails where the grader made no pids cgroups at all (as on a host without the cgroup v1 pids controller),
    rather than finding nothing to check; groups of runs still going on this host are not counted.
    """
    left = []
    for root in LIMIT_ROOTS:
        parent = root / GROUP_PARENT
        assert parent.is_dir(), f"no {parent}: the grader did not cap any kernel's {root.name} on this host"
        left += sorted(f"{root.name}/{g.name}" for g in parent.glob(f"{SCRATCH_PREFIX}*") if owner_gone(g.name))
    return left


def _connections(listener: socket.socket) -> int:
    """How many connections wait on a listening socket (without blocking)."""
    listener.setblocking(False)
    count = 0
    while True:
        try:
            listener.accept()[0].close()
        except BlockingIOError:
            return count
        count += 1


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    course = _build_course(root)
    listener = socket.create_server(("127.0.0.1", 0))  # what the snooping submission dials
    port = listener.getsockname()[1]
    # A Unix socket on the host, as a local database or Docker would have one: under /run where we may write.
    run_dir = Path("/run") if os.access("/run", os.W_OK) else root
    unix_path = run_dir / f"csm-academy-test-{os.getpid()}.sock"
    unix_listener = socket.socket(socket.AF_UNIX)
    unix_listener.bind(str(unix_path))
    unix_listener.listen()
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    sub = {
        "reference": nbtools.submission(release, ref),
        "untouched": release,
        "mis-grr": nbtools.submission(release, {**ref, "q2_grr": WRONG["grr_includes_expansion"][1]}),
        "always-equal": nbtools.submission(release, {**ref, "q1_nrr": ALWAYS_EQUAL}),
        "infinite-loop": nbtools.submission(release, {**ref, "q3_logo_retention": "while True:\n    pass\n"}),
        "hangs-in-check": nbtools.submission(release, {**ref, "q4_retention_by_segment": HANGS_WHEN_CALLED}),
        "ignores-interrupt": nbtools.submission(
            release,
            {
                **ref,
                "q3_logo_retention": "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "while True:\n    time.sleep(0.1)\n",
            },
        ),
        "exits-kernel": nbtools.submission(release, {**ref, "q2_grr": "import os\nos._exit(3)\n"}),
        "fork-bomb": nbtools.submission(release, {**ref, "q2_grr": FORK_BOMB + ref["q2_grr"]}),
        "memory-hog": nbtools.submission(release, {**ref, "q2_grr": "hog = bytearray(8 * 2**30)\n" + ref["q2_grr"]}),
        "floods-output": nbtools.submission(
            release, {**ref, "q1_nrr": "for _ in range(24):\n    print('y' * 2**20)\n" + ref["q1_nrr"]}
        ),
        # One single output of 40 MB, past the 32 MB cap on one message, after two right answers.
        "one-huge-output": nbtools.submission(
            release, {**ref, "q3_logo_retention": "print('z' * (40 * 2**20))\n" + ref["q3_logo_retention"]}
        ),
        "snoop": nbtools.submission(
            release,
            {
                **ref,
                "q1_nrr": f"COURSE = {str(course)!r}\nREPO = {str(nbtools.REPO)!r}\nPORT = {port}\n"
                f"UNIX_SOCKET = {str(unix_path)!r}\n" + SNOOP + ref["q1_nrr"],
            },
        ),
    }
    for name, code in HOSTILE.items():
        sub[name] = nbtools.submission(release, {**ref, "q1_nrr": code})
    # Swaps its grading folder for a link to a host folder, hoping the grader (root) writes through it.
    host_target = root / "host-target"
    host_target.mkdir()
    swap = (
        "import os\nd = os.environ['CSM_ACADEMY_GRADING_DIR']\nos.rename(d, d + '-moved')\n"
        f"os.symlink({str(host_target)!r}, d)\n"
    )
    sub["swaps-grading-folder"] = nbtools.submission(
        release, {**ref, "q7_churn_masked_by_expansion": swap + ref["q7_churn_masked_by_expansion"]}
    )
    edited = nbtools.submission(release, ref)
    for cell in edited["cells"]:
        if nbtools.nbgrader_meta(cell).get("grade_id") == "q2_grr":
            cell["source"] = "pass  # no checks here"
    sub["edited-test-cell"] = edited
    missing = nbtools.submission(release, ref)
    missing["cells"] = [c for c in missing["cells"] if nbtools.nbgrader_meta(c).get("grade_id") != "q3_logo_retention"]
    sub["missing-cell"] = missing
    duplicated = nbtools.submission(release, ref)
    duplicated["cells"].append(duplicated["cells"][-2])
    sub["duplicated-cell"] = duplicated
    hashes = {name: nbtools.sha256(_submit(course, name, nb)) for name, nb in sub.items()}
    hashes["bad-json"] = nbtools.sha256(_submit(course, "bad-json", '{"cells": [oops'))
    with listener, unix_listener:
        run = _grade(course)  # how long it takes is measured by benchmarks/bench_grading.py, not asserted here
        probe = {"from the sandbox": _connections(listener), "unix from the sandbox": _connections(unix_listener)}
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # the listener was there to be reached
        probe["from the host"] = _connections(listener)
        host_client = socket.socket(socket.AF_UNIX)
        host_client.connect(str(unix_path))
        host_client.close()
        probe["unix from the host"] = _connections(unix_listener)
    unix_path.unlink()
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    rows = {r["trainee"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    assert list(host_target.iterdir()) == []  # nothing the grader wrote went through the link
    return course, hashes, rows, run, probe


def _total(row) -> float | None:
    return float(row["total"]) if row["total"] else None


def test_reference_gets_full_marks_and_the_release_zero(cohort):
    _, _, rows, _, _ = cohort
    assert rows["reference"]["status"] == "graded" and _total(rows["reference"]) == TOTAL
    assert rows["untouched"]["status"] == "graded" and _total(rows["untouched"]) == 0


def test_misconception_loses_its_points_and_is_reported(cohort):
    _, _, rows, _, _ = cohort
    row = rows["mis-grr"]
    assert _total(row) == TOTAL - POINTS["q2_grr"] and float(row["q2_grr"]) == 0
    assert row["misconceptions"] == "grr_includes_expansion"


@pytest.mark.parametrize("name", ["always-equal", *HOSTILE])
def test_tampering_with_the_checking_machinery_does_not_raise_the_score(cohort, name):
    _, _, rows, _, _ = cohort
    row = rows[name]
    assert row["status"] == "graded", row
    assert float(row["q1_nrr"]) == 0, row
    assert _total(row) <= TOTAL - POINTS["q1_nrr"]  # patching builtins can only cost the trainee more


def test_a_task_that_hangs_scores_zero_naming_the_task_and_the_rest_is_graded(cohort):
    course, _, rows, _, _ = cohort
    row = rows["infinite-loop"]
    # Interrupted at the cell limit: Q3 scores zero, every other task is graded (13 of 15, as nbgrader gives).
    assert row["status"] == "a task timed out"
    assert row["detail"] == (
        "a cell ran longer than 8 s and stopped when interrupted, in Q3 Logo retention (its answer cell); "
        "the rest was graded"
    )
    assert float(row["q3_logo_retention"]) == 0 and _total(row) == TOTAL - POINTS["q3_logo_retention"]
    feedback = (course / "reports" / A / "feedback" / "infinite-loop.html").read_text()
    assert "Not graded: your answer cell ran longer than 8 s and was stopped, so this task scores zero." in feedback


def test_a_function_that_hangs_on_its_check_loses_only_its_task(cohort):
    course, _, rows, _, _ = cohort
    row = rows["hangs-in-check"]
    assert row["status"] == "a task timed out"
    assert row["detail"] == (
        "a cell ran longer than 8 s and stopped when interrupted, in Q4 Retention by segment (its checks); "
        "the rest was graded"
    )
    assert float(row["q4_retention_by_segment"]) == 0
    assert _total(row) == TOTAL - POINTS["q4_retention_by_segment"]
    feedback = (course / "reports" / A / "feedback" / "hangs-in-check.html").read_text()
    assert "your function, on this task&#x27;s check, ran longer than 8 s and was stopped" in feedback


def test_a_kernel_that_ignores_the_interrupt_stops_there_and_later_tasks_score_zero(cohort):
    _, _, rows, _, _ = cohort
    row = rows["ignores-interrupt"]
    assert row["status"] == "timed out"
    assert row["detail"] == (
        "a cell ran longer than 8 s and ignored the interrupt, in Q3 Logo retention (its answer cell)"
    )
    # What it answered before it hung counts; the task it stopped and every later one score zero.
    assert float(row["q1_nrr"]) == POINTS["q1_nrr"] and float(row["q3_logo_retention"]) == 0
    assert _total(row) == POINTS["q1_nrr"] + POINTS["q2_grr"]


def test_a_kernel_that_dies_is_reported_with_its_task_and_nothing_after_it_counts(cohort):
    course, _, rows, _, _ = cohort
    row = rows["exits-kernel"]
    assert row["status"] == "kernel died" and row["detail"].endswith("in Q2 Gross revenue retention (its answer cell)")
    assert _total(row) == POINTS["q1_nrr"]
    state = json.loads((course / "autograded" / f".csm-academy-{A}.json").read_text())
    questions = {q["qid"]: q for q in state[f"exits-kernel/{NB}"]["questions"]}
    assert questions["q1_nrr"]["points"] == POINTS["q1_nrr"]
    assert all(questions[q]["points"] == 0 for q in POINTS if q != "q1_nrr")


def test_memory_exhaustion_fails_only_that_answer(cohort):
    course, _, rows, _, _ = cohort
    row = rows["memory-hog"]
    # The 8 GiB allocation fails at once against the 3 GiB address-space limit: a MemoryError in the answer
    # cell, so its function is never defined and that question scores nothing; the rest of the notebook counts.
    assert row["status"] == "graded"
    assert float(row["q2_grr"]) == 0 and _total(row) == TOTAL - POINTS["q2_grr"]
    assert "MemoryError" in _cell_outputs(course, "memory-hog", "q2_grr-answer")


def test_memory_is_capped_for_the_whole_submission_not_per_process(tmp_path):
    course = _build_course(tmp_path)
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    _submit(course, "memory-forks", nbtools.submission(release, {**ref, "q2_grr": MEMORY_FORKS + ref["q2_grr"]}))
    # Filling 3.75 GiB takes seconds on a busy machine: this run alone gets a generous cell limit.
    run = _grade(course, "--cell-timeout", "120", "--timeout", "300")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "3 GiB of memory for all its processes together" in run.stdout  # the limit in force, said up front
    row = {r["trainee"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}["memory-forks"]
    printed = json.loads(_cell_outputs(course, "memory-forks", "q2_grr-answer"))[0]["text"]
    marker, killed = "".join(printed).split()
    # Each child alone was allowed its 1.25 GiB; together they passed the submission's 3 GiB, and the memory
    # cgroup killed children until the rest fitted. The kernel itself, and so its answers, carried on.
    assert marker == "MEMORY-FORKS" and int(killed) >= 1
    assert row["status"] == "graded" and _total(row) == TOTAL
    assert groups_left_behind() == []


def test_a_flood_of_output_is_cut_with_a_note_and_costs_no_points(cohort):
    course, _, rows, _, _ = cohort
    row = rows["floods-output"]
    assert row["status"] == "graded" and _total(row) == TOTAL  # scores never ride on outputs
    executed = course / "autograded" / "floods-output" / A / NB
    # 24 MB printed, past the 20 MB cap; the executed notebook keeps at most the cap, and says where it cut.
    assert executed.stat().st_size < MAX_OUTPUT_BYTES + 2**20
    assert "outputs cut here" in executed.read_text()
    assert "outputs cut here" not in (course / "autograded" / "reference" / A / NB).read_text()


def test_one_output_over_the_message_cap_stops_grading_there_with_its_own_status(cohort):
    course, _, rows, _, _ = cohort
    row = rows["one-huge-output"]
    # The 40 MB message is refused from its header (never held by the grader); its connection is gone, so
    # grading stops at that task, names it, and keeps what was earned before it.
    assert row["status"] == "output too large"
    assert row["detail"] == (
        "one output was over 32 MB, so grading stopped there, in Q3 Logo retention (its answer cell)"
    )
    assert _total(row) == POINTS["q1_nrr"] + POINTS["q2_grr"]
    assert (course / "autograded" / "one-huge-output" / A / NB).stat().st_size < 2**20


def _cell_outputs(course: Path, trainee: str, grade_id: str) -> str:
    """The outputs of one cell of a trainee's executed notebook, as JSON text."""
    nb = nbtools.load(course / "autograded" / trainee / A / NB)
    cell = next(c for c in nb["cells"] if nbtools.nbgrader_meta(c).get("grade_id") == grade_id)
    return json.dumps(cell.get("outputs", []))


def test_a_fork_bomb_is_capped_and_the_run_goes_on(cohort):
    course, _, rows, _, _ = cohort
    row = rows["fork-bomb"]
    printed = json.loads(_cell_outputs(course, "fork-bomb", "q2_grr-answer"))[0]["text"]
    _, forks, group = "".join(printed).split()
    # Capped: the kernel's own pids group stopped the forks short of the limit (the kernel's threads count too).
    assert 0 < int(forks) < Limits().processes
    assert group.startswith(f"/csm-academy/{SCRATCH_PREFIX}")
    # While its sleeping children hold every pid, the check cell in the notebook cannot start a thread and
    # stops with an error; the grader's own requests for the answer need no new process or thread, so the
    # (right) answer still counts. The kernel's process group, children included, is killed at the end.
    assert "can't start new thread" in _cell_outputs(course, "fork-bomb", "q2_grr")
    assert row["status"] == "graded" and _total(row) == TOTAL
    assert _total(rows["reference"]) == TOTAL  # the rest of the cohort was graded normally
    assert not (PIDS_ROOT / group.lstrip("/")).exists()  # its group was removed with its processes
    assert groups_left_behind() == []


def test_trainee_code_has_no_privilege_and_sees_no_secret_solutions_gradebook_others_sockets_or_network(cohort):
    course, _, rows, _, probe = cohort
    assert rows["snoop"]["status"] == "graded" and _total(rows["snoop"]) == TOTAL
    graded = (course / "autograded" / "snoop" / A / NB).read_text()
    assert "SNOOP []" in graded, "the snooping submission found something it should not see"
    assert not (nbtools.REPO / "SANDBOX-ESCAPE").exists()
    # The listeners it dialled on the host's loopback and Unix socket saw nothing from the sandbox, and were
    # reachable from the host.
    assert probe == {"from the sandbox": 0, "unix from the sandbox": 0, "from the host": 1, "unix from the host": 1}


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("bad-json", "could not be read", "not valid JSON"),
        ("missing-cell", "tampered", "cell 'q3_logo_retention' was deleted; the release's cells were put back"),
        ("duplicated-cell", "could not be read", "appears 2 times"),
        ("edited-test-cell", "tampered", "'q2_grr' was edited"),
    ],
)
def test_malformed_or_edited_notebooks_get_a_clear_status(cohort, name, status, words):
    _, _, rows, _, _ = cohort
    assert rows[name]["status"] == status
    assert words in rows[name]["detail"]


def test_a_kernel_that_swaps_its_grading_folder_for_a_link_only_loses_that_answer(cohort):
    _, _, rows, _, _ = cohort
    row = rows["swaps-grading-folder"]
    # The grader wrote Q7's cases through the folder it opened before the kernel started, never through the
    # link (the fixture checks the linked host folder stayed empty); the kernel then found no case to answer.
    assert row["status"] == "graded" and float(row["q7_churn_masked_by_expansion"]) == 0
    assert _total(row) == TOTAL - POINTS["q7_churn_masked_by_expansion"]


def test_a_deleted_test_cell_is_put_back_so_its_task_is_graded_all_the_same(cohort):
    _, _, rows, _, _ = cohort
    assert _total(rows["missing-cell"]) == TOTAL  # the reference's answer, tested by the instructor's cell


def test_edited_test_cells_are_restored_before_grading(cohort):
    _, _, rows, _, _ = cohort
    assert _total(rows["edited-test-cell"]) == TOTAL  # graded with the instructor's tests put back


def test_raw_submissions_are_never_modified(cohort):
    course, hashes, _, _, _ = cohort
    for name, digest in hashes.items():
        assert nbtools.sha256(course / "submitted" / name / A / NB) == digest, name


def test_scores_land_in_nbgraders_own_gradebook(cohort):
    course, _, rows, _, _ = cohort
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for name in ("reference", "untouched", "mis-grr"):
            assert gb.find_submission(A, name).score == _total(rows[name])


def test_feedback_pages_are_in_words_without_hidden_tests(cohort):
    course, _, _, _, _ = cohort
    page = (course / "reports" / A / "feedback" / "mis-grr.html").read_text()
    assert "That is NRR, not GRR" in page and "13 of 15 points" in page
    assert "grade_hidden" not in page and "40913" not in page and "Traceback" not in page
    stopped = (course / "reports" / A / "feedback" / "ignores-interrupt.html").read_text()
    assert "Grading stopped early</strong> (timed out)" in stopped and "in Q3 Logo retention" in stopped
    overran = (course / "reports" / A / "feedback" / "infinite-loop.html").read_text()
    assert "A task ran too long</strong> (a cell ran longer than 8 s" in overran
    unreadable = (course / "reports" / A / "feedback" / "bad-json.html").read_text()
    assert "could not be graded" in unreadable and "holds zero points for it, flagged" in unreadable


def test_cohort_report_shows_the_misconceptions_hit_in_words_with_who(cohort):
    course, _, _, _, _ = cohort
    page = (course / "reports" / A / "cohort.html").read_text()
    words = html.escape(nrr_math.LESSON.misconceptions["grr_includes_expansion"].message)
    assert "Mistakes the cohort made, in words" in page and words in page and "grr_includes_expansion" not in page
    assert "mis-grr" in page and "Tasks ranked by points lost" in page and "Score distribution" in page


def test_personalised_releases_give_each_trainee_their_own_book(cohort):
    course, _, _, _, _ = cohort
    seeds = {
        t: json.loads((course / "release-personal" / t / A / "csm_academy_book.json").read_text())["seed"]
        for t in ("ana", "ben")
    }
    assert seeds["ana"] != seeds["ben"]
    assert oct((course / ".course-secret").stat().st_mode & 0o777) == "0o600"


def test_a_second_run_regrades_nothing_and_changes_nothing(cohort):
    course, _, rows, _, _ = cohort
    run = _grade(course)
    assert run.returncode == 0 and "graded 0 submissions" in run.stdout and "unchanged since the last run" in run.stdout
    again = {r["trainee"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    assert again == rows


def test_a_run_killed_half_way_resumes_and_agrees(tmp_path):
    course = _build_course(tmp_path)
    release = nbtools.load(course / "release" / A / NB)
    ref = nbtools.reference_code(nbtools.load(nbtools.EXERCISES / A / NB))
    for i in range(6):
        _submit(course, f"t{i}", nbtools.submission(release, ref) if i % 2 else release)
    proc = subprocess.Popen(
        [CLI, "grade", A, "--course", str(course), "--no-progress"],
        env=_env_without_venv(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    state = course / "autograded" / f".csm-academy-{A}.json"
    deadline = time.time() + 240
    while time.time() < deadline and not (state.exists() and len(json.loads(state.read_text() or "{}")) >= 2):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = len(json.loads(state.read_text()))
    assert 0 < done_before < 6
    run = _grade(course)
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"{done_before} unchanged since the last run" in run.stdout
    rows = {r["trainee"]: r for r in csv.DictReader((course / "reports" / A / "grades.csv").open())}
    assert {t: _total(r) for t, r in rows.items()} == {
        **{f"t{i}": (TOTAL if i % 2 else 0.0) for i in range(6)},
        **{"ana": None, "ben": None},  # released a copy each, handed nothing in
    }
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert sorted(s.student_id for s in gb.find_assignment(A).submissions) == [f"t{i}" for i in range(6)]
