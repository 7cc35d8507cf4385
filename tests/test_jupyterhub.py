"""A cohort on a real JupyterHub on loopback, as issue #17 asks: install, sign in, fetch, submit, grade, feedback.

Root makes an instructor and two trainees as Linux accounts (removed at the end), installs the hub from
deploy/ as an administrator would (the shared venv from Debian's /usr/bin/python3, the course installed from
this checkout, configurable-http-proxy with npm) and starts JupyterHub with nbgrader's exchange in a temporary
folder. Trainee 1 works in headless Chromium: signs in, fetches the exercise from the Assignments panel,
answers Q1, submits, and later opens the feedback. Trainee 2 fetches and submits untouched from the command
line. The instructor releases, collects, grades with ``csm-academy grade`` (sandboxed, as that user) and
returns feedback, all with the commands an instructor types. Each phase's wall time is printed (pytest -s);
screenshots land in .ci/artifacts/screenshots/hub-*.png.

The shared venv takes minutes to build, so it is kept between runs in /var/tmp/csm-academy-hub/<key> (the key
hashes everything that decides what it holds); each run reinstalls the course from this checkout into it, as
an administrator upgrades the course. Needs root (it makes users), npm and Debian's Chromium;
CSM_ACADEMY_SKIP_BROWSER=1 skips it with the other browser tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests import nbtools
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    UI_MS,
    VIEWPORT,
    kill_process_tree,
    playwright_session,
    require_chromium,
)

REPO = nbtools.REPO
DEPLOY = REPO / "deploy"
ASSIGNMENT = "01_nrr_math"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
COURSE_ID = "csm-academy"  # deploy/nbgrader_config.py
SYSTEM_PYTHON = Path("/usr/bin/python3")  # Debian's: a pyenv Python under /root is out of other users' reach
CACHE = Path("/var/tmp/csm-academy-hub")
# What decides the shared install's contents; a change to any of them builds it anew.
INSTALL_INPUTS = ("constraints.txt", "pyproject.toml", "deploy/hub_constraints.txt", "deploy/proxy/package-lock.json")
USER_PATH = "/usr/local/bin:/usr/bin:/bin"  # after the venv's bin, as deploy/jupyterhub_config.py sets it
# Where each shipped file goes: in the shared venv, and in the instructor's home (deploy/README.md, same table).
VENV_FILES = {
    "nbgrader_config.py": "etc/jupyter/nbgrader_config.py",
    "trainee_jupyter/labconfig/page_config.json": "etc/jupyter/labconfig/page_config.json",
    "trainee_jupyter/jupyter_server_config.d/nbgrader_trainees.json": (
        "etc/jupyter/jupyter_server_config.d/nbgrader_trainees.json"
    ),
    "lab_overrides.json": "share/jupyter/lab/settings/overrides.json",
}
INSTRUCTOR_FILES = {
    "instructor_nbgrader_config.py": ".jupyter/nbgrader_config.py",
    "instructor_jupyter/labconfig/page_config.json": ".jupyter/labconfig/page_config.json",
    "instructor_jupyter/jupyter_server_config.d/nbgrader_instructor.json": (
        ".jupyter/jupyter_server_config.d/nbgrader_instructor.json"
    ),
    "course_nbgrader_config.py": "course/nbgrader_config.py",
}
# The Nbgrader menu's commands an instructor has and a trainee must not see.
INSTRUCTOR_COMMANDS = {
    "Formgrader": "nbgrader:open-formgrader",
    "Create assignment": "nbgrader:open-create-assignment",
    "Course List": "nbgrader:open-course-list",
}
# The side bar tab of nbgrader's Create Assignment panel (the id is nbgrader's own spelling).
CREATE_ASSIGNMENT_TAB = ".jp-SideBar .lm-TabBar-tab[data-id='nbgrader-create_assignemnt']"
HUB_START_S = 90
SIGN_IN_MS = 120_000  # sign-in, spawn and JupyterLab's first render on a busy 2-core machine
COMMAND_S = 600
BUILD_S = 1800


def _need_root_and_tools() -> None:
    """Fail in one line for what the test cannot do without (never a silent skip: CI runs as root with all of it)."""
    require_chromium()  # skips only on CSM_ACADEMY_SKIP_BROWSER=1, like every browser test
    if os.geteuid() != 0:
        pytest.fail("needs root: it creates Linux users and runs JupyterHub as root (CI runs as root)", pytrace=False)
    missing = [tool for tool in ("npm", "node", "useradd", "runuser") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install nodejs npm (passwd, util-linux)", pytrace=False)
    too_old = "import sys; sys.exit(sys.version_info < (3, 11))"
    if not SYSTEM_PYTHON.exists() or subprocess.run([str(SYSTEM_PYTHON), "-c", too_old], check=False).returncode:
        pytest.fail(f"{SYSTEM_PYTHON} must be Python 3.11 or later for the hub's shared venv", pytrace=False)


def _run(cmd: list[str], *, timeout: float = COMMAND_S, **kwargs) -> str:
    """Run a command; its output, or a failure that shows the command and the end of what it said."""
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    if done.returncode != 0:
        said = (done.stdout + done.stderr)[-4000:]
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{said}")
    return done.stdout + done.stderr


@dataclass
class Phases:
    """Wall time of each step, printed as it ends (pytest -s shows them) and as a table at the end."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = time.monotonic() - start
            print(f"[hub] {name}: {self.seconds[name]:.1f} s", flush=True)

    def table(self) -> str:
        return "\n".join(f"[hub]   {name:<48} {s:6.1f} s" for name, s in self.seconds.items())


# --- the shared install: venv and proxy, kept between runs -------------------------------------------------------


def _install_key() -> str:
    """A hash of the system Python's version and of every file that decides what the install holds."""
    digest = hashlib.sha256(_run([str(SYSTEM_PYTHON), "-VV"]).encode())
    for name in INSTALL_INPUTS:
        digest.update(name.encode() + b"\0" + (REPO / name).read_bytes())
    return digest.hexdigest()[:16]


def _build(prefix: Path) -> None:
    """What an administrator runs once: the venv from Debian's Python, the course and JupyterHub, the proxy."""
    venv = prefix / "venv"
    _run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)])
    _run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "-q",
            "-c",
            str(REPO / "constraints.txt"),
            "-c",
            str(DEPLOY / "hub_constraints.txt"),
            "jupyterhub",
            f"{REPO}[instructor]",
        ],
        timeout=BUILD_S,
    )
    proxy = prefix / "proxy"
    proxy.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(DEPLOY / "proxy" / name, proxy / name)
    _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=proxy, timeout=BUILD_S)


@pytest.fixture(scope="module")
def phases() -> Iterator[Phases]:
    timed = Phases()
    yield timed
    print("\n[hub] phases:\n" + timed.table(), flush=True)


@pytest.fixture(scope="module")
def install(phases: Phases) -> Iterator[Path]:
    """The prefix holding venv/ and proxy/ (built if need be), this checkout's course in it; one run at a time."""
    _need_root_and_tools()
    CACHE.mkdir(mode=0o755, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run's hub would share this venv's config files
        key = _install_key()
        prefix = CACHE / key
        if not (prefix / ".complete").exists():
            with phases("install: build venv and proxy (first run only)"):
                for old in CACHE.iterdir():
                    if old.is_dir():  # older keys and a build that was cut short
                        shutil.rmtree(old)
                prefix.mkdir(mode=0o755)
                _build(prefix)
                (prefix / ".complete").touch()
        with phases("install: course from this checkout into the venv"):
            # The administrator's upgrade: the course's code may have changed since the venv was built.
            _run([str(prefix / "venv" / "bin" / "pip"), "install", "-q", "--no-deps", "--force-reinstall", str(REPO)])
        yield prefix


# --- the accounts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A Linux account made for this run, with the password it signs in to the hub with."""

    name: str
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12), repr=False)

    @property
    def home(self) -> Path:
        return Path(pwd.getpwnam(self.name).pw_dir)

    @property
    def uid(self) -> int:
        return pwd.getpwnam(self.name).pw_uid


@dataclass(frozen=True)
class Cohort:
    group: str
    instructor: Account
    trainee1: Account
    trainee2: Account

    @property
    def accounts(self) -> tuple[Account, ...]:
        return (self.instructor, self.trainee1, self.trainee2)


def _processes_of(uids: set[int]) -> list[int]:
    """Live processes whose real uid is one of ``uids`` (kernels and servers of the run's accounts)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                line = next(ln for ln in (entry / "status").read_text().splitlines() if ln.startswith("Uid:"))
                if int(line.split()[1]) in uids:
                    found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def cohort(install: Path) -> Iterator[Cohort]:
    """An instructor and two trainees in a sign-in group of their own; processes, homes and group removed after."""
    tag = secrets.token_hex(3)  # unique per run: a run that died cannot collide with this one
    made = Cohort(f"csmg{tag}", Account(f"csmi{tag}"), Account(f"csmt1{tag}"), Account(f"csmt2{tag}"))
    created: list[Account] = []
    _run(["groupadd", made.group])
    try:
        for account in made.accounts:
            _run(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", made.group, account.name])
            created.append(account)
            _run(["chpasswd"], input=f"{account.name}:{account.password}\n")
            account.home.chmod(0o700)  # Debian makes homes 755: trainees must not read each other's work
        yield made
    finally:
        uids = {account.uid for account in created}
        for pid in _processes_of(uids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for account in created:
            subprocess.run(["userdel", "--remove", account.name], capture_output=True, check=False)
        subprocess.run(["groupdel", made.group], capture_output=True, check=False)


def _as(account: Account, install: Path, *cmd: str, timeout: float = COMMAND_S) -> str:
    """Run a command as ``account`` from its home, with the shared venv first on PATH and nothing of root's env."""
    env = [
        "env",
        "-i",
        f"HOME={account.home}",
        f"USER={account.name}",
        f"LOGNAME={account.name}",
        "LANG=C.UTF-8",
        f"PATH={install / 'venv' / 'bin'}:{USER_PATH}",
    ]
    return _run(["runuser", "-u", account.name, "--", *env, *cmd], cwd=account.home, timeout=timeout)


def _as_denied(account: Account, install: Path, *cmd: str) -> str:
    """Run a command as ``account`` that must fail; what it said."""
    try:
        said = _as(account, install, *cmd)
    except AssertionError as failed:
        return str(failed)
    raise AssertionError(f"{account.name} could run {' '.join(cmd)}:\n{said}")


def _copy_as(source: Path, dest: Path, owner: Account) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, dest)
    else:
        shutil.copy(source, dest)
    _run(["chown", "-R", f"{owner.name}:{owner.name}", str(owner.home)])


# --- the hub ---------------------------------------------------------------------------------------------------


@dataclass
class Hub:
    url: str
    folder: Path  # the run's temporary folder: hub state, exchange
    exchange: Path
    proc: subprocess.Popen | None = None

    def log_tail(self, chars: int = 6000) -> str:
        """The start of the hub's log (its configuration and the proxy's start) and its end."""
        with contextlib.suppress(OSError):
            text = (self.folder / "hub" / "jupyterhub.log").read_text(errors="replace")
            return text if len(text) <= chars else f"{text[: chars // 2]}\n[...]\n{text[-chars // 2 :]}"
        return ""


def _set_up_course(install: Path, cohort: Cohort, exchange: Path) -> None:
    """Put the shipped config files where deploy/README.md says, and give the instructor the course's source."""
    venv = install / "venv"
    for source, dest in VENV_FILES.items():
        (venv / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEPLOY / source, venv / dest)
    # The run's one change to the shipped nbgrader config: an exchange of its own, not the machine's.
    with (venv / VENV_FILES["nbgrader_config.py"]).open("a") as config:
        config.write(f"\n# tests/test_jupyterhub.py: this run's exchange\nc.Exchange.root = {str(exchange)!r}\n")
    instructor = cohort.instructor
    for source, dest in INSTRUCTOR_FILES.items():
        _copy_as(DEPLOY / source, instructor.home / dest, instructor)
    _copy_as(nbtools.EXERCISES / ASSIGNMENT, instructor.home / "course" / "source" / ASSIGNMENT, instructor)
    # The exchange as deploy/README.md makes it: open to all like /tmp, with the course's folder made for the
    # instructor first, so no trainee can take that name before the first release.
    exchange.mkdir(mode=0o755)
    exchange.chmod(0o1777)
    (exchange / COURSE_ID).mkdir(mode=0o755)
    os.chown(exchange / COURSE_ID, instructor.uid, pwd.getpwnam(instructor.name).pw_gid)


@pytest.fixture(scope="module")
def hub(install: Path, cohort: Cohort, phases: Phases) -> Iterator[Hub]:
    """JupyterHub from deploy/jupyterhub_config.py on free loopback ports; its processes and folder gone after."""
    folder = Path(tempfile.mkdtemp(prefix="csm-hub-"))  # not pytest's tmp_path: only root may enter that
    folder.chmod(0o755)  # the exchange inside must be reachable by every account
    state = folder / "hub"
    state.mkdir(mode=0o700)  # the hub's database and cookie secret: root's alone
    port, hub_port, api_port = _free_ports(3)
    running = Hub(url=f"http://127.0.0.1:{port}", folder=folder, exchange=folder / "exchange")
    try:
        with phases("set up config files, course source and exchange"):
            _set_up_course(install, cohort, running.exchange)
        # The shipped config as it is, then this run's differences: free ports and the run's own group.
        (state / "jupyterhub_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(DEPLOY / 'jupyterhub_config.py')!r})  # noqa: F821\n"
            f"c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{hub_port}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'\n"
            f"c.PAMAuthenticator.allowed_groups = {{{cohort.group!r}}}\n"
        )
        with phases("hub: start until its API answers"):
            log = (state / "jupyterhub.log").open("wb")
            running.proc = subprocess.Popen(
                [str(install / "venv" / "bin" / "jupyterhub"), "-f", str(state / "jupyterhub_config.py")],
                cwd=state,
                env={"PATH": f"{install / 'venv' / 'bin'}:{USER_PATH}", "LANG": "C.UTF-8", "HOME": "/root"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            _wait_for_hub(running)
        yield running
    finally:
        if running.proc is not None:
            # SIGTERM first: the hub then stops every user's server and its proxy itself.
            kill_process_tree(running.proc, grace_s=30)
            _kill_orphaned_proxy(state / "jupyterhub-proxy.pid", install)
        shutil.rmtree(folder, ignore_errors=True)


def _kill_orphaned_proxy(pid_file: Path, install: Path) -> None:
    """The proxy runs in a session of its own: a hub that died at start leaves it, known only by its pid file."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text())
        if str(install / "proxy") in Path(f"/proc/{pid}/cmdline").read_text():  # ours, not a recycled pid
            os.kill(pid, signal.SIGKILL)


def _free_ports(count: int) -> list[int]:
    """Distinct TCP ports free on loopback now (held open together, so no two are the same)."""
    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for sock in held:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in held]


def _wait_for_hub(hub: Hub) -> None:
    deadline = time.monotonic() + HUB_START_S
    while True:
        if hub.proc.poll() is not None:
            raise AssertionError(f"JupyterHub exited with {hub.proc.returncode}:\n{hub.log_tail()}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"JupyterHub did not answer in {HUB_START_S} s:\n{hub.log_tail()}")
        time.sleep(0.2)  # polling the hub's state, not waiting a fixed time


@pytest.fixture(scope="module")
def browser(hub: Hub) -> Iterator[Browser]:
    expect.set_options(timeout=UI_MS)
    launched = playwright_session().chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def released(hub: Hub, install: Path, cohort: Cohort, phases: Phases) -> None:
    """The instructor has released the exercise into the exchange, with the commands an instructor types."""
    teacher = cohort.instructor
    with phases("instructor: csm-academy release + nbgrader release_assignment"):
        _as(teacher, install, "csm-academy", "release", ASSIGNMENT, "--course", str(teacher.home / "course"))
        _as(teacher, install, "nbgrader", "release_assignment", ASSIGNMENT)


# --- what people do --------------------------------------------------------------------------------------------


def _sign_in(browser: Browser, hub: Hub, *accounts: Account) -> list[Page]:
    """Sign each account in on the hub's login page, then wait for each JupyterLab to show its Nbgrader menu.

    All forms are sent before any wait, so the hub starts the servers side by side, as a cohort arriving does.
    """
    pages = []
    for account in accounts:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(UI_MS)
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.fill("#username_input", account.name)
        page.fill("#password_input", account.password)
        page.click("#login_submit")
        pages.append(page)
    for account, page in zip(accounts, pages):
        try:
            page.wait_for_url(re.compile(rf"/user/{account.name}/lab"), timeout=SIGN_IN_MS)
            _menu_bar_item(page, "Nbgrader").wait_for(timeout=SIGN_IN_MS)
        except PlaywrightTimeoutError as exc:
            raise AssertionError(
                f"{account.name} did not reach JupyterLab ({exc}); hub log:\n{hub.log_tail()}"
            ) from None
    return pages


def _menu_bar_item(page: Page, label: str):
    return page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{label}$"))


def _open_menu(page: Page, label: str):
    """Open one of the menu bar's menus, on a page brought to the front (the others are in background tabs)."""
    page.bring_to_front()
    _menu_bar_item(page, label).click()
    menu = page.locator(".lm-Menu")
    expect(menu).to_be_visible()
    return menu


def _close_menus(page: Page) -> None:
    """Escape on the open menu itself (focused first: on a busy machine the key can reach the page before it)."""
    menus = page.locator(".lm-Menu")
    menus.last.press("Escape")
    expect(menus).to_have_count(0)


def _nbgrader_menu_commands(page: Page, shot: str | None = None) -> set[str]:
    """The commands the Nbgrader menu shows (opened here, photographed if ``shot`` names a screenshot, closed again).

    Lumino keeps an item for a command no plugin registered, hidden: only what is visible counts.
    """
    menu = _open_menu(page, "Nbgrader")
    items = menu.locator(".lm-Menu-item[data-command]")
    commands = set(items.evaluate_all("items => items.filter(i => i.checkVisibility()).map(i => i.dataset.command)"))
    if shot:
        _shot(page, shot)
    _close_menus(page)
    return commands


def _palette_commands(page: Page, queries: list[str]) -> set[str]:
    """The commands the command palette (View → Activate Command Palette) offers for any of ``queries``."""
    _open_menu(page, "View").locator(".lm-Menu-item[data-command='apputils:activate-command-palette']").click()
    search = page.locator(".lm-CommandPalette-input")
    offered: set[str] = set()
    for query in queries:
        search.fill(query)
        offered |= set(
            page.locator(".lm-CommandPalette-item[data-command]").evaluate_all(
                "items => items.filter(i => i.checkVisibility()).map(i => i.dataset.command)"
            )
        )
    search.press("Escape")
    expect(search).to_be_hidden()
    return offered


def _open_assignment_list(page: Page):
    _open_menu(page, "Nbgrader").locator(".lm-Menu-item[data-command='nbgrader:open-assignment-list']").click()
    panel = page.locator("#nbgrader-assignment-list")
    panel.wait_for()
    return panel


def _shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _q1_answer() -> str:
    """Q1's answer cell as the course's source has it, solution markers removed: the reference answer."""
    return nbtools.reference_code(nbtools.load(nbtools.EXERCISES / ASSIGNMENT / NOTEBOOK))["q1_nrr"].rstrip("\n")


def _answer_q1(page: Page) -> None:
    """Replace Q1's stub with the reference answer (pasted, so the editor's auto-indent leaves it as it is); save."""
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    cell = notebook.locator(".jp-CodeCell", has_text="def nrr(report)")
    expect(cell).to_contain_text("raise NotImplementedError()")
    cell.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(_q1_answer())
    expect(cell.locator(".cm-content")).to_contain_text('kept / start["arr_start"].sum()')
    unsaved = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")
    expect(unsaved).to_have_count(1)  # seen dirty first, so "clean" below means saved
    page.keyboard.press("Escape")
    page.keyboard.press("ControlOrMeta+s")
    expect(unsaved).to_have_count(0)


def _gradebook_scores(gradebook: Path, trainees: list[str]) -> dict[str, dict[str, tuple[float, float]]]:
    """{trainee: {grade id: (score, max score)}} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, tuple[float, float]]] = {}
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        for trainee in trainees:
            notebook = gb.find_submission_notebook(NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, trainee)
            out[trainee] = {g.name: (g.score, g.max_score) for g in notebook.grades}
    return out


# --- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_a_trainee_fetches_submits_and_reads_feedback_through_a_real_hub(
    hub, install, cohort, browser, phases, released
):
    teacher, t1, t2 = cohort.instructor, cohort.trainee1, cohort.trainee2
    started = time.monotonic()
    with phases("trainee 1: sign in, JupyterLab shown"):
        (page,) = _sign_in(browser, hub, t1)
    with phases("trainee 1: Assignments panel, fetch"):
        panel = _open_assignment_list(page)
        to_fetch = panel.locator("#released_assignments_list")
        expect(to_fetch).to_contain_text(ASSIGNMENT)
        expect(panel).not_to_contain_text("Error fetching courses")
        shot_before = _shot(page, "hub-trainee-assignments-before-submit")
        to_fetch.locator("button", has_text="Fetch").click()
        fetched = panel.locator("#fetched_assignments_list")
        expect(fetched).to_contain_text(ASSIGNMENT)
    with phases("trainee 1: open the notebook, answer Q1, save"):
        fetched.locator(".assignment-notebooks-link", has_text=ASSIGNMENT).click()
        fetched.locator(".assignment-notebooks .item_name a", has_text=NOTEBOOK.removesuffix(".ipynb")).click()
        _answer_q1(page)
        saved = nbtools.load(t1.home / ASSIGNMENT / NOTEBOOK)
        assert _q1_answer() in nbtools.source(nbtools.answer_cells(saved)["q1_nrr"]), "the answer was not saved"
    with phases("trainee 1: submit in the panel"):
        page.locator(".lm-TabBar-tab", has_text="Assignments").click()
        fetched.locator("button", has_text="Submit").click()
        submitted = panel.locator("#submitted_assignments_list")
        expect(submitted).to_contain_text(ASSIGNMENT)
        shot_after = _shot(page, "hub-trainee-assignments-after-submit")

    with phases("trainee 2: nbgrader fetch_assignment + submit (command line)"):
        _as(t2, install, "nbgrader", "fetch_assignment", ASSIGNMENT)
        _as(t2, install, "nbgrader", "submit", ASSIGNMENT)
    with phases("instructor: nbgrader collect"):
        _as(teacher, install, "nbgrader", "collect", ASSIGNMENT)
    with phases("instructor: csm-academy grade (sandboxed)"):
        graded = _as(
            teacher,
            install,
            "csm-academy",
            "grade",
            ASSIGNMENT,
            "--course",
            str(teacher.home / "course"),
            "--no-progress",
        )
    with phases("instructor: nbgrader generate_feedback + release_feedback"):
        _as(teacher, install, "nbgrader", "generate_feedback", ASSIGNMENT)
        _as(teacher, install, "nbgrader", "release_feedback", ASSIGNMENT)

    with phases("trainee 1: refresh, fetch feedback, open it"):
        page.locator("#refresh_assignments_list").click()
        expect(submitted).to_contain_text("feedback available to fetch")
        submitted.locator("button", has_text="Fetch Feedback").click()
        submitted.locator("a", has_text="view feedback").click()
        page.locator(".jp-DirListing-item", has_text=NOTEBOOK.replace(".ipynb", ".html")).dblclick()
        feedback = page.frame_locator(".jp-HTMLViewer iframe")
        # nbgrader's summary: the total, then one line per test cell, linked to the cell by its grade id.
        expect(feedback.locator("body")).to_contain_text(f"{ASSIGNMENT} (Score: 2.0 / 15.0)")
        expect(feedback.locator("li", has=feedback.locator("a[href='#q1_nrr']"))).to_have_text(
            "Test cell (Score: 2.0 / 2.0)"
        )
        shot_feedback = _shot(page, "hub-trainee-feedback")
    print(f"[hub] whole flow, sign-in to feedback read: {time.monotonic() - started:.1f} s", flush=True)

    scores = _gradebook_scores(teacher.home / "course" / "gradebook.db", [t1.name, t2.name])
    assert scores[t1.name]["q1_nrr"] == (2.0, 2.0), f"{graded}\n{scores}"
    assert sum(score for score, _ in scores[t2.name].values()) == 0.0, f"{graded}\n{scores}"
    assert scores[t1.name].get("q2_grr", (None,))[0] == 0.0, scores  # only Q1 was answered
    for shot in (shot_before, shot_after, shot_feedback):
        assert shot.stat().st_size > 10_000, f"{shot} looks empty"


@pytest.mark.slow
@pytest.mark.browser
def test_trainees_do_not_see_formgrader_or_create_assignment_but_the_instructor_does(hub, cohort, browser, phases):
    with phases("trainee 2 and instructor: sign in, menus and palette"):
        trainee, instructor = _sign_in(browser, hub, cohort.trainee2, cohort.instructor)
        trainee_menu = _nbgrader_menu_commands(trainee, shot="hub-trainee-nbgrader-menu")
        instructor_menu = _nbgrader_menu_commands(instructor, shot="hub-instructor-nbgrader-menu")
        trainee_palette = _palette_commands(trainee, list(INSTRUCTOR_COMMANDS))
        instructor_palette = _palette_commands(instructor, list(INSTRUCTOR_COMMANDS))
        assert trainee_menu == {"nbgrader:open-assignment-list"}, trainee_menu
        for label, command in INSTRUCTOR_COMMANDS.items():
            assert command not in trainee_palette, f"a trainee's command palette offers {label}"
            assert command in instructor_menu, f"the instructor's Nbgrader menu lacks {label}"
        # The palette leaves out disabled commands, and Create assignment is disabled until a notebook is open.
        assert {"nbgrader:open-formgrader", "nbgrader:open-course-list"} <= instructor_palette, instructor_palette
        # Create Assignment is also a tab in the right side bar; checked on the trainee's page once it has long
        # finished loading (the menus and palette above took seconds).
        expect(instructor.locator(CREATE_ASSIGNMENT_TAB)).to_be_visible()
        expect(trainee.locator(CREATE_ASSIGNMENT_TAB)).to_have_count(0)
        # The server side too: formgrader's pages exist only in the instructor's server.
        assert trainee.request.get(f"{hub.url}/user/{cohort.trainee2.name}/formgrader").status == 404
        assert instructor.request.get(f"{hub.url}/user/{cohort.instructor.name}/formgrader").status == 200


@pytest.mark.slow
@pytest.mark.browser
def test_a_trainee_cannot_read_the_course_or_what_others_handed_in(hub, install, cohort, released):
    """What protects, unlike the hidden menus: Unix permissions on homes and on nbgrader's exchange."""
    trainee = cohort.trainee1
    inbound = hub.exchange / COURSE_ID / "inbound"  # every submission; made by the release, mode 733
    for folder in (inbound, cohort.trainee2.home, cohort.instructor.home / "course"):
        said = _as_denied(trainee, install, "ls", str(folder))
        assert "Permission denied" in said, f"{trainee.name} lists {folder}: {said}"
    # The released exercise stays readable and unchangeable by trainees.
    outbound = hub.exchange / COURSE_ID / "outbound" / ASSIGNMENT / NOTEBOOK
    _as(trainee, install, "test", "-r", str(outbound))
    assert "Permission denied" in _as_denied(trainee, install, "sh", "-c", f": >> {outbound}")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="the wheel ships exercises/source (solutions) as package data, readable by every user of a shared venv",
)
def test_a_trainee_cannot_read_the_exercise_solutions_in_the_shared_venv(install, cohort):
    found = _as(
        cohort.trainee1,
        install,
        "python",
        "-c",
        "import pathlib, csm_academy; root = pathlib.Path(csm_academy.__file__).parent;"
        " print('\\n'.join(str(p) for p in root.rglob('*.ipynb')"
        " if 'BEGIN SOLUTION' in p.read_text(errors='replace')))",
    )
    assert not found.strip(), f"a trainee reads solutions in:\n{found}"


def test_the_course_folder_config_grades_as_the_repository_config_does():
    """deploy/course_nbgrader_config.py is autograder/nbgrader_config.py for a course folder of its own."""
    from traitlets.config.loader import PyFileConfigLoader

    def settings(path: Path) -> dict:
        loaded = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
        flat = {f"{section}.{name}": value for section, values in loaded.items() for name, value in values.items()}
        # Where the course and gradebook are is what differs; everything that decides a grade must not.
        return {k: v for k, v in flat.items() if k not in ("CourseDirectory.root", "CourseDirectory.db_url")}

    repository = settings(REPO / "autograder" / "nbgrader_config.py")
    course_id = repository.pop("CourseDirectory.course_id")  # said once for every user, in deploy/nbgrader_config.py
    assert settings(DEPLOY / "course_nbgrader_config.py") == repository
    assert settings(DEPLOY / "nbgrader_config.py")["CourseDirectory.course_id"] == course_id == COURSE_ID
