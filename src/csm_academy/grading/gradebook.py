"""The one writer: scores into nbgrader's own gradebook, executed notebooks beside it, and resume state."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from csm_academy.errors import CsmAcademyError
from csm_academy.grading.layout import CourseLayout

SCORED = ("graded", "tampered")


def own_bin_on_path() -> None:
    """nbgrader runs `alembic` from PATH: make this environment's bin come first (no venv activation needed)."""
    here = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != here:
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")


def ensure_released(layout: CourseLayout, assignment: str) -> None:
    """Run nbgrader's generate_assignment if the assignment has no release or is not in the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    own_bin_on_path()
    registered = True
    try:
        with Gradebook(layout.gradebook_url) as gb:
            gb.find_assignment(assignment)
    except MissingEntry:
        registered = False
    if registered and layout.release(assignment).is_dir():
        return
    generate_assignment(layout, assignment)


def generate_assignment(layout: CourseLayout, assignment: str) -> None:
    """nbgrader's own generate_assignment, in-process, on this course's layout."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    own_bin_on_path()
    if not layout.source(assignment).is_dir():
        raise CsmAcademyError(f"no source for assignment {assignment!r} in {layout.root / 'source'}")
    config = Config()
    config.CourseDirectory.root = str(layout.root)
    config.CourseDirectory.db_url = layout.gradebook_url
    config.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    api = NbGraderAPI(config=config)
    result = api.generate_assignment(assignment, force=True)
    if not result.get("success"):
        raise CsmAcademyError(f"nbgrader generate_assignment failed: {result.get('error') or result.get('log')}")


class Writer:
    """Writes each finished submission: gradebook scores, the executed notebook, then the resume state."""

    def __init__(self, layout: CourseLayout, assignment: str):
        self.layout = layout
        self.assignment = assignment
        self.state_path = layout.state_file(assignment)
        self.state: dict[str, dict] = {}
        if self.state_path.exists():
            try:
                self.state = json.loads(self.state_path.read_text())
            except ValueError:
                self.state = {}  # a state file cut short: everything is simply graded again

    def already_graded(self, trainee: str, notebook: str, sha256: str) -> dict | None:
        """The stored record if this exact submission was graded before."""
        record = self.state.get(f"{trainee}/{notebook}")
        return record if record and record.get("sha256") == sha256 else None

    def write(self, record: dict) -> None:
        """Store one result; each step is atomic, so a run killed at any point can resume."""
        notebook_json = record.pop("notebook_json", None)
        if record["status"] in SCORED:
            self._gradebook(record)
            if notebook_json:
                out = self.layout.autograded(record["trainee"], self.assignment, record["notebook"])
                _atomic_write(out, notebook_json)
        self.state[f"{record['trainee']}/{record['notebook']}"] = record
        _atomic_write(self.state_path, json.dumps(self.state, indent=1, sort_keys=True))

    def _gradebook(self, record: dict) -> None:
        from nbgrader.api import Gradebook

        notebook = Path(record["notebook"]).stem
        with Gradebook(self.layout.gradebook_url) as gb:
            gb.update_or_create_student(record["trainee"])
            gb.update_or_create_submission(self.assignment, record["trainee"])
            for q in record["questions"]:
                grade = gb.find_grade(q["qid"], notebook, self.assignment, record["trainee"])
                grade.auto_score = float(q["points"])
            gb.db.commit()


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
