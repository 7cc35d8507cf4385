"""Where self-study reads and writes in a trainee's workspace: the notebooks, its own state, the pages.

``csm-academy open`` makes the workspace (``csm_academy.workspace``); self-study finds it the same way, from
any folder inside it, and keeps its own files in ``STATE_DIR`` there.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

from csm_academy.content import student_edition
from csm_academy.errors import CsmAcademyError
from csm_academy.grading.seeds import load_or_create_secret
from csm_academy.workspace.files import exercise_folder
from csm_academy.workspace.marker import is_workspace, read_marker
from csm_academy.workspace.sync import DEFAULT_WORKSPACE, default_workspace

#: Self-study's own files in a workspace (its secret and the progress file); JupyterLab hides dot folders.
STATE_DIR = ".csm-academy"
#: The trainee id when neither --trainee, the workspace nor the operating system names one.
FALLBACK_TRAINEE = "trainee"


@dataclass(frozen=True)
class Workspace:
    """A trainee's workspace folder, and the files self-study keeps in it."""

    root: Path
    given: bool = True  # named with --workspace, rather than looked for from the current folder

    @property
    def state_dir(self) -> Path:
        """Self-study's own folder: the workspace's secret and the progress file."""
        return self.root / STATE_DIR

    @property
    def progress_file(self) -> Path:
        """Every self-graded attempt's outcome, per assignment (JSON)."""
        return self.state_dir / "progress.json"

    @property
    def progress_page(self) -> Path:
        """The progress page a trainee opens in the workspace."""
        return self.root / "progress.html"

    def feedback_page(self, assignment: str) -> Path:
        """The feedback page of an assignment's last self-graded attempt."""
        return self.root / "feedback" / f"{assignment}.html"

    def notebook(self, assignment: str) -> Path:
        """Where the workspace keeps the trainee's notebook of ``assignment``."""
        return exercise_folder(self.root, assignment) / student_edition(assignment).name

    def secret(self) -> bytes:
        """This workspace's secret (made on first use): with the trainee id it picks the unseen books."""
        try:
            return load_or_create_secret(self.state_dir)
        except OSError as exc:
            raise CsmAcademyError(f"cannot keep the self-study secret in {self.state_dir}: {exc.strerror}") from None

    def trainee(self) -> str | None:
        """The trainee ``open --trainee`` recorded for this workspace, if any."""
        return read_marker(self.root).trainee if is_workspace(self.root) else None


def find_workspace(given: Path | None, cwd: Path) -> Workspace:
    """``given``; else the workspace holding ``cwd`` or the default one ``open`` makes; else ``cwd`` itself."""
    if given is not None:
        given = given.expanduser()
        if not given.is_dir():
            raise CsmAcademyError(f"--workspace {given}: no such folder")
        return Workspace(given.absolute())
    found = default_workspace(cwd)
    return Workspace(found if is_workspace(found) else cwd.absolute(), given=False)


def find_notebook(workspace: Workspace, assignment: str, given: Path | None) -> Path:
    """The trainee's notebook: ``given``, else the workspace's copy; a missing one says where it looked."""
    if given is not None:
        given = given.expanduser()
        if given.is_file():
            return given.resolve()
        raise CsmAcademyError(f"no notebook of {assignment} found: --notebook {given} is not a file")
    path = workspace.notebook(assignment)
    if path.is_file():
        return path
    if is_workspace(workspace.root):
        where = "your workspace"
    elif workspace.given:
        where = f"{workspace.root}, which csm-academy open did not make"
    else:
        where = f"this folder (no workspace is in it, above it, or at {DEFAULT_WORKSPACE})"
    raise CsmAcademyError(
        f"no notebook of {assignment} found: looked for {path}, in {where}; "
        "pass --workspace DIR or --notebook PATH, or run csm-academy open first"
    )


def trainee_name(given: str | None, workspace: Workspace) -> str:
    """The trainee id the unseen books are drawn for: ``given``, else the workspace's, else the user name."""
    if given is not None:
        if not given.strip():
            raise CsmAcademyError("--trainee must not be empty")
        return given.strip()
    recorded = workspace.trainee()
    if recorded:
        return recorded
    try:
        return getpass.getuser() or FALLBACK_TRAINEE
    except (OSError, KeyError):  # no user name in the environment and no password entry
        return FALLBACK_TRAINEE
