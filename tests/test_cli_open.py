"""`csm-academy open` (Quick start command 1) serves the trainee's workspace in JupyterLab, on the start page."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from csm_academy.cli import main
from csm_academy.workspace.files import START_PAGE


class Launched(Exception):
    """Raised in place of exec: the command open would have become."""


def _launch_command(monkeypatch, tmp_path, *argv: str) -> list[str]:
    seen: dict[str, list[str]] = {}

    def record(_file, args, _env):
        seen["args"] = list(args)
        raise Launched

    monkeypatch.chdir(tmp_path)  # open moves into the workspace before exec; this puts the test back after
    monkeypatch.setattr(os, "execvpe", record)
    with pytest.raises(Launched):
        main(["open", *argv])
    return seen["args"]


@pytest.mark.parametrize("port", [["--port", "8979"], ["--port=8979"]])
def test_jupyterlab_options_pass_through_in_either_form_and_in_order(monkeypatch, tmp_path, port):
    ws = tmp_path / "ws"
    cmd = _launch_command(monkeypatch, tmp_path, "--workspace", str(ws), *port, "--no-browser", "--ServerApp.ip=::1")
    assert cmd[-len(port) - 1 :] == [*port, "--ServerApp.ip=::1"]
    assert f"--ServerApp.root_dir={ws}" in cmd and "--no-browser" in cmd
    assert f"--LabApp.default_url=/lab/tree/{START_PAGE}" in cmd


def test_an_option_that_starts_like_one_of_opens_own_goes_to_jupyterlab(monkeypatch, tmp_path):
    cmd = _launch_command(monkeypatch, tmp_path, "--workspace", str(tmp_path / "ws"), "--no")
    assert cmd[-1] == "--no" and "--no-browser" not in cmd


def test_other_verbs_still_refuse_unknown_options_in_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["samples", "--port", "8979"])
    assert stop.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        return resp.read()


@pytest.mark.slow
def test_open_serves_the_workspace_on_the_start_page_and_no_instructor_pages(tmp_path):
    port = _free_port()
    ws = tmp_path / "ws"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lw"))
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "csm-academy"),
            "open",
            "--workspace",
            str(ws),
            "--no-browser",
            "--port",  # the form argparse's REMAINDER used to break
            str(port),
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=t0ken",
            "--LabApp.news_url=None",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(f"{base}/lab/tree/{START_PAGE}?token=t0ken")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        top = json.loads(_get(f"{base}/api/contents?token=t0ken"))
        assert sorted(item["name"] for item in top["content"]) == ["course", "exercises"]
        start = json.loads(_get(f"{base}/api/contents/{START_PAGE}?token=t0ken&content=0"))
        assert start["type"] == "notebook"  # served from the workspace, which open made
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{base}/formgrader?token=t0ken")  # nbgrader's instructor pages are not served to trainees
        assert refused.value.code == 404
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
