"""The JupyterLab a trainee works in: rooted at the workspace, opening on the start page."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from csm_academy.workspace.files import START_PAGE

#: nbgrader's instructor-side server extensions, off in a trainee's JupyterLab: the formgrader serves the
#: course folder of wherever the server runs (sources with solutions, if that is an instructor's course).
#: The trainee's own parts (fetch and submit through the exchange, validate) stay on.
INSTRUCTOR_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")


def lab_command(workspace: Path, *, open_browser: bool = True, jupyter_args: Sequence[str] = ()) -> list[str]:
    """The command that serves ``workspace`` (and nothing outside it) in JupyterLab; ``jupyter_args`` come last."""
    cmd = [
        sys.executable,
        "-P",  # the workspace (the server's folder) is not put on its import path: a trainee's json.py stays theirs
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={workspace}",
        f"--LabApp.default_url=/lab/tree/{START_PAGE}",
        # A Python literal: traitlets reads a dict on the command line with ast.literal_eval (JSON's false fails).
        f"--ServerApp.jpserver_extensions={dict.fromkeys(INSTRUCTOR_EXTENSIONS, False)!r}",
    ]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # a container's only user, as often on training hosts
    return cmd + list(jupyter_args)


def lab_environment() -> dict[str, str]:
    """This environment with its own bin first on PATH."""
    # Jupyter and nbgrader call their helper scripts (alembic, jupyter-*) from PATH: put ours first,
    # so the command works without activating a virtual environment.
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env
