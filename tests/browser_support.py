"""Support for the browser suite: a throwaway JupyterLab server, Debian's Chromium, and a notebook page.

Everything waits on page state (prompts, kernel status, elements), never on fixed sleeps. The server
serves copies in a temporary folder, so no browser ever runs (and saves) the repository's notebooks.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests import nbtools

CHROMIUM = Path("/usr/bin/chromium")
SKIP_ENV = "CSM_ACADEMY_SKIP_BROWSER"
SCREENSHOTS = nbtools.REPO / ".ci" / "artifacts" / "screenshots"
COURSE = nbtools.REPO / "course"
# Flags this machine's Chromium needs (measured): no sandbox as root, no GPU, nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
MAX_SHOT_PX = 30_000  # the tallest full-notebook screenshot (Chromium here handles 32,000 px)
SERVER_START_S = 90
RUN_ALL_MS = 180_000  # a whole notebook on a busy 2-core machine
CELL_MS = 60_000
UI_MS = 30_000
# Whatever a widget shows when its front end could not draw it.
WIDGET_FAILURES = (
    "Error displaying widget",
    "Loading widget...",
    "Failed to display Jupyter Widget",
    "model not found",
)
# JupyterLab user settings: no news or update checks, every cell kept in the page (and no blank page
# after the last one, so a screenshot can hold the whole notebook), no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


@functools.cache
def playwright_session() -> Playwright:
    """The test process's one sync Playwright, started on first use and stopped when Python exits.

    Playwright allows one sync session per thread, so every module that drives Chromium launches it from this.
    """
    from playwright.sync_api import sync_playwright

    session = sync_playwright().start()
    atexit.register(session.stop)
    return session


def require_chromium() -> None:
    """Fail in one line when Debian's Chromium is missing; skip only when told to."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: browser tests skipped")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install chromium (or set {SKIP_ENV}=1 to skip the browser tests)",
            pytrace=False,
        )


def venv_env() -> dict[str, str]:
    """This interpreter's bin first on PATH (nbgrader runs alembic from PATH; kernels must be this venv's)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def release_exercises(workdir: Path, dest: Path) -> list[Path]:
    """Release every exercise with real nbgrader in a temporary course; copy the releases into ``dest``."""
    course = workdir / "autograder"
    (course / "course").mkdir(parents=True)
    shutil.copy(nbtools.REPO / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "course" / "source").symlink_to(nbtools.EXERCISES)
    released = []
    for source in sorted(p for p in nbtools.EXERCISES.iterdir() if p.is_dir()):
        run = subprocess.run(
            [str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", source.name, "--force"],
            cwd=course,
            env=venv_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, f"nbgrader generate_assignment {source.name} failed:\n{run.stderr[-3000:]}"
        shutil.copytree(course / "course" / "release" / source.name, dest / source.name)
        released += sorted((dest / source.name).glob("*.ipynb"))
    return released


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def _descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, start time) of every process below ``pid``; kernels run in sessions of their own."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))):
            children.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


def kill_process_tree(proc: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM then SIGKILL to ``proc``'s process group, then SIGKILL to what it started in sessions of its own."""
    leftovers = _descendants(proc.pid)  # taken first: once the parent is gone they are nobody's children
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            continue
    for pid, started in leftovers:
        stat = _proc_stat(pid)
        if stat and stat[1] == started:  # the same process, not a recycled pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class LabServer:
    """``python -m jupyterlab`` on 127.0.0.1 with a token and temporary settings, runtime and workspaces."""

    def __init__(self, root: Path, home: Path):
        self.root = root
        self.home = home
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.proc: subprocess.Popen | None = None
        self._launched = 0.0
        self.log_path = home / "jupyterlab.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = venv_env()
        for name, sub in (
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),  # no user-level extensions or trust database
            ("IPYTHONDIR", "ipython"),  # no user-level IPython startup files in the kernels
        ):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.home / sub)
        env.pop("JUPYTER_TOKEN", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def launch(self) -> None:
        """Start the server process (in its own session, so its whole group can be killed)."""
        env = self._env()
        for plugin, values in LAB_SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self._launched = time.monotonic()

    def wait_ready(self) -> None:
        """Poll the REST API until the server answers; fail with its log if it exits or never answers."""
        deadline = self._launched + SERVER_START_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer in {SERVER_START_S} s:\n{self.log_tail()}") from None
                time.sleep(0.2)  # polling the server's state, not waiting a fixed time

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def api(self, method: str, path: str, timeout: float = 15):
        """One authenticated REST call; the decoded JSON body (or None)."""
        req = urllib.request.Request(self.base + path, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def url(self, relpath: str, workspace: str) -> str:
        """The page for one notebook in its own empty workspace (so earlier tests' tabs never reopen)."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{relpath}?token={self.token}"

    def shutdown_kernels(self) -> None:
        """End every session and kernel (each test leaves the server as it found it)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for session in self.api("GET", "/api/sessions") or []:
            self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
        for kernel in self.api("GET", "/api/kernels") or []:
            self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)

    def stop(self) -> None:
        """Shut kernels down, then kill the server's process group and anything it left behind."""
        if self.proc is None:
            return
        with contextlib.suppress(Exception):  # teardown goes on to the kill whatever the server says
            self.shutdown_kernels()
        proc, self.proc = self.proc, None
        kill_process_tree(proc)  # kernels run in sessions of their own: the tree, not only the group


# --- one notebook in the page ---------------------------------------------------------------------

_RUN_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent.trim());
  const status = [...document.querySelectorAll('.jp-StatusBar-TextItem')].map(e => e.textContent).join(' ');
  return {prompts, idle: /\\|\\s*Idle/.test(status)};
}"""


class NotebookPage:
    """A Playwright page showing one notebook in JupyterLab, with what a trainee does as methods."""

    def __init__(self, page, lab: LabServer, relpath: str):
        self.page = page
        self.lab = lab
        self.relpath = relpath
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)

    # locators
    @property
    def notebook(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")

    @property
    def cells(self):
        return self.notebook.locator(".jp-Cell")

    @property
    def charts(self):
        return self.notebook.locator(".js-plotly-plot")

    @property
    def error_outputs(self):
        """Error and stderr outputs (JupyterLab draws both red, with this mime type)."""
        return self.notebook.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")

    def open(self, workspace: str) -> NotebookPage:
        """Load the notebook and wait for its kernel to be idle."""
        self.page.goto(self.lab.url(self.relpath, workspace))
        self.notebook.wait_for(timeout=UI_MS * 2)
        self.wait_idle(timeout=UI_MS * 2)
        return self

    def state(self) -> dict:
        return self.page.evaluate(_RUN_STATE_JS) or {"prompts": [], "idle": False}

    def wait_idle(self, timeout: float = RUN_ALL_MS) -> None:
        """Kernel idle and no cell queued or running."""
        self.page.wait_for_function(
            f"() => {{ const s = ({_RUN_STATE_JS})(); return s && s.idle && !s.prompts.includes('[*]:'); }}",
            timeout=timeout,
        )

    def run_all(self) -> dict:
        """Run → Run All Cells, as a trainee does; returns the prompts once everything has finished."""
        before = self.state()["prompts"]
        assert before and all(p == "[ ]:" for p in before), f"expected a fresh notebook, prompts were {before}"
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        # The first cell leaves "[ ]:" as soon as the run is queued, so "idle with no [*]" means finished.
        expect_changed = "() => { const s = (" + _RUN_STATE_JS + ")(); return s && s.prompts[0] !== '[ ]:'; }"
        self.page.wait_for_function(expect_changed, timeout=UI_MS)
        self.wait_idle()
        return self.state()

    def cell_index(self, text: str, code: bool = True) -> int:
        """Index (among all cells) of the only code cell whose source contains ``text``."""
        sources = self.notebook.locator(".jp-Cell").evaluate_all(
            "cells => cells.map(c => [c.classList.contains('jp-CodeCell'),"
            " (c.querySelector('.jp-InputArea-editor') || {}).textContent || ''])"
        )
        hits = [i for i, (is_code, src) in enumerate(sources) if (is_code or not code) and text in src]
        assert len(hits) == 1, f"{len(hits)} cells contain {text!r}"
        return hits[0]

    def prompt(self, index: int) -> str:
        return self.cells.nth(index).locator(".jp-InputArea-prompt").text_content().strip()

    def run_cell(self, index: int) -> None:
        """Select the cell (click its prompt), press Shift+Enter, and wait until it has run."""
        cell = self.cells.nth(index)
        before = self.prompt(index)
        cell.locator(".jp-InputArea-prompt").click()
        self.page.wait_for_function(
            "i => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i]"
            ".classList.contains('jp-mod-selected')",
            arg=index,
            timeout=UI_MS,
        )
        self.page.keyboard.press("Shift+Enter")
        self._wait_ran(index, before)

    def _wait_ran(self, index: int, before: str) -> None:
        self.page.wait_for_function(
            "([i, before]) => { const c = document.querySelectorAll("
            "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i];"
            " const p = c.querySelector('.jp-InputArea-prompt').textContent.trim();"
            " return /^\\[\\d+\\]:$/.test(p) && p !== before; }",
            arg=[index, before],
            timeout=CELL_MS,
        )
        self.wait_idle(timeout=CELL_MS)

    def type_into_cell(self, index: int, code: str) -> None:
        """Click into the cell's editor, select all, and type ``code`` line by line as a person would.

        Leading spaces are left to the editor's auto-indent (so they are not typed twice); the wait at the
        end proves the editor holds exactly ``code``.
        """
        editor = self.cells.nth(index).locator(".cm-content")
        editor.click()
        self.page.wait_for_function(
            "i => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i]"
            ".querySelector('.cm-editor').classList.contains('cm-focused')",
            arg=index,
            timeout=UI_MS,
        )
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type("\n".join(line.lstrip() for line in code.splitlines()))
        try:
            self.page.wait_for_function(
                "([i, code]) => { const c = document.querySelectorAll("
                "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[i];"
                " const lines = [...c.querySelectorAll('.cm-line')].map(l => l.textContent);"
                " return lines.join('\\n') === code; }",
                arg=[index, code.rstrip("\n")],
                timeout=UI_MS,
            )
        except PlaywrightTimeoutError:
            typed = "\n".join(self.cells.nth(index).locator(".cm-line").all_text_contents())
            raise AssertionError(f"the editor holds {typed!r}, not {code!r}") from None

    def run_typed_cell(self, index: int) -> None:
        """Shift+Enter in the editor the trainee just typed in; wait until the cell has run."""
        before = self.prompt(index)
        self.page.keyboard.press("Shift+Enter")
        self._wait_ran(index, before)

    @staticmethod
    def screenshot_path(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS / f"{name}.png"

    def screenshot(self, name: str) -> Path:
        """The whole notebook in one tall image, as a trainee scrolling through it would see it."""
        path = self.screenshot_path(name)
        outer = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
        sizes = self.page.evaluate(
            f"() => {{ const o = document.querySelector('{outer}'); return [o.scrollHeight, o.clientHeight]; }}"
        )
        chrome = VIEWPORT["height"] - sizes[1]
        height = min(sizes[0] + chrome + 8, MAX_SHOT_PX)  # taller notebooks: the top MAX_SHOT_PX pixels
        self.page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        self.page.wait_for_function(
            f"h => {{ const o = document.querySelector('{outer}'); return o.scrollHeight <= o.clientHeight + 2"
            " || window.innerHeight >= h; }",
            arg=MAX_SHOT_PX,
            timeout=UI_MS,
        )
        self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(VIEWPORT)
        return path


class TraineeLab:
    """The served folder, the JupyterLab server and the browser, started on first use, always torn down.

    Started lazily from inside a test, so a missing Chromium fails that test (one line), not its setup.
    """

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.served = workdir / "served"
        self.server: LabServer | None = None
        self._browser = None
        self._failed: BaseException | None = None
        self._opened = 0

    def _start(self) -> None:
        (self.served / "course").mkdir(parents=True)
        for nb in sorted(COURSE.glob("*.ipynb")):
            shutil.copy(nb, self.served / "course" / nb.name)
        self.server = LabServer(self.served, self.workdir / "jupyter")
        self.server.launch()  # boots while nbgrader releases the exercises
        release_exercises(self.workdir, self.served / "exercises")
        self.server.wait_ready()
        self._launch_browser()

    def _launch_browser(self) -> None:
        if self._browser is None:
            self._browser = playwright_session().chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

    def static_page(self):
        """A fresh browser page for a static file (no JupyterLab needed): the suite's one browser, started if need be.

        Playwright allows one sync session per thread, so static pages share the lab's browser.
        """
        require_chromium()
        self._launch_browser()
        context = self._browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(UI_MS)
        return context.new_page()

    def ensure_started(self) -> None:
        require_chromium()
        if self._failed is not None:
            raise RuntimeError(f"the browser session failed to start earlier: {self._failed}")
        if self.server is None:  # a static page may have started the browser alone
            try:
                self._start()
            except BaseException as exc:
                self._failed = exc
                raise

    def open(self, relpath: str) -> NotebookPage:
        """A fresh browser context showing ``relpath`` (relative to the served folder), kernel idle."""
        self.ensure_started()
        assert (self.served / relpath).is_file(), f"{relpath} is not in the served folder"
        self._opened += 1
        context = self._browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(UI_MS)
        nb = NotebookPage(context.new_page(), self.server, relpath)
        return nb.open(workspace=f"test{self._opened}")

    def close(self, nb: NotebookPage) -> None:
        """Close the page's context and shut every kernel down (also after a failed test)."""
        try:
            nb.page.context.close()
        finally:
            if self.server is not None:
                self.server.shutdown_kernels()

    def stop(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self.server is not None:
                self.server.stop()
