"""The one writer: scores into nbgrader's own gradebook, executed notebooks beside it, and resume state."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

from csm_academy.errors import CsmAcademyError
from csm_academy.grading.course_config import load_course_config
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord, RecordError
from csm_academy.lessons.registry import lesson_for

SERVER_COURSE_ID = "default_course"  # the course row nbgrader's Gradebook creates by itself


def course_id(layout: CourseLayout) -> str:
    """nbgrader's course id for this gradebook: empty (nbgrader's default) on the course's own SQLite file.

    On a database server it must name a real course: nbgrader files assignments under the course id,
    and PostgreSQL enforces that foreign key where SQLite does not.
    """
    return SERVER_COURSE_ID if layout.db_url else ""


def own_bin_on_path() -> None:
    """nbgrader runs `alembic` from PATH: make this environment's bin come first (no venv activation needed)."""
    here = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != here:
        os.environ["PATH"] = here + os.pathsep + os.environ.get("PATH", "")


def safe_url(url: str) -> str:
    """A database URL fit for messages: any password replaced by ***."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: say nothing of it beyond its scheme
        return url.split("://", 1)[0] + "://..."


def open_gradebook(layout: CourseLayout):
    """nbgrader's Gradebook on the course's database, or a clear error when the database cannot be reached."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SQLAlchemyError

    own_bin_on_path()
    try:
        return Gradebook(layout.gradebook_url, course_id=course_id(layout) or SERVER_COURSE_ID)
    except (SQLAlchemyError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CsmAcademyError(
            f"cannot open the gradebook at {safe_url(layout.gradebook_url)}: {first[:300]}. For PostgreSQL the "
            "server must be reachable and the database must exist (createdb), with the psycopg2 driver installed."
        ) from None


def ensure_released(layout: CourseLayout, assignment: str) -> None:
    """Run nbgrader's generate_assignment if the assignment has no release or is not in the gradebook."""
    from nbgrader.api import MissingEntry

    registered = True
    with open_gradebook(layout) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            registered = False
    if registered and layout.release(assignment).is_dir():
        return
    generate_assignment(layout, assignment)


def generate_assignment(layout: CourseLayout, assignment: str) -> None:
    """nbgrader's own generate_assignment, in-process, with the course's own nbgrader config (code stub and all)."""
    from nbgrader.apps import NbGraderAPI

    own_bin_on_path()
    if not layout.source(assignment).is_dir():
        raise CsmAcademyError(f"no source for assignment {assignment!r} in {layout.root / 'source'}")
    config = load_course_config(layout.root).nbgrader_config()
    # Where this run's course and gradebook are, whatever the file says (flags and environment win).
    config.CourseDirectory.root = str(layout.root)
    config.CourseDirectory.db_url = layout.gradebook_url
    config.CourseDirectory.course_id = course_id(layout)
    api = NbGraderAPI(config=config)
    result = api.generate_assignment(assignment, force=True)
    if not result.get("success"):
        raise CsmAcademyError(f"nbgrader generate_assignment failed: {result.get('error') or result.get('log')}")


class Writer:
    """Writes each finished submission: gradebook scores, the executed notebook, then the resume state.

    The one writer of a run, in the process that started it: workers only return records. A record is
    written once per (trainee, notebook, submission hash) in a run, so a task that Dask ran again after
    its worker died can never be counted twice.
    """

    def __init__(self, layout: CourseLayout, assignment: str):
        self.layout = layout
        self.assignment = assignment
        self.state_path = layout.state_file(assignment)
        self.state: dict[str, GradeRecord] = read_state(self.state_path)
        self.written: set[tuple[str, str, str]] = set()
        self._gb = None

    def already_graded(self, trainee: str, notebook: str, sha256: str) -> GradeRecord | None:
        """The stored record if this exact submission was graded before."""
        record = self.state.get(f"{trainee}/{notebook}")
        return record if record is not None and record.sha256 == sha256 else None

    def write(self, record: GradeRecord) -> bool:
        """Store one result (atomic steps, so a run killed at any point can resume); False if already stored."""
        once = (record.trainee, record.notebook, record.sha256)
        if once in self.written:
            return False
        self._gradebook(record, flagged_before=_unscored(self.state.get(record.key)))
        out = self.layout.autograded(record.trainee, self.assignment, record.notebook)
        if record.scored and record.executed_notebook:
            _atomic_write(out, record.executed_notebook)
        elif not record.scored:
            out.unlink(missing_ok=True)  # an earlier graded copy would show scores this submission no longer has
        self.state[record.key] = record.without_executed_notebook()
        _atomic_write(self.state_path, state_json(self.state))
        self.written.add(once)
        return True

    def close(self) -> None:
        """Close the gradebook connection (kept open for the run: opening one per record is slow on a server)."""
        if self._gb is not None:
            with contextlib.suppress(Exception):
                self._gb.close()
            self._gb = None

    def _gradebook(self, record: GradeRecord, *, flagged_before: bool) -> None:
        """Write the record into nbgrader's tables as ``nbgrader autograde`` would.

        Autograded cells need no manual grade (unless one was given). A submission that could not be graded
        scores zero on every task and is flagged, so formgrader and ``nbgrader export`` show every trainee
        and no earlier score outlives the submission that replaced it; grading it later lifts the flag.
        """
        from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning

        notebook = Path(record.notebook).stem
        points = {q.qid: float(q.points) for q in record.questions} if record.scored else {}
        qids = [q.qid for q in lesson_for(self.assignment).questions]
        for attempt in range(3):
            if self._gb is None:
                self._gb = open_gradebook(self.layout)
            gb = self._gb
            try:
                with warnings.catch_warnings():
                    # nbgrader's own update_or_create_submission makes SQLAlchemy warn about an autoflush
                    # before it adds the new rows itself; the rows are stored all the same.
                    warnings.filterwarnings("ignore", category=SAWarning)
                    gb.update_or_create_student(record.trainee)
                    gb.update_or_create_submission(self.assignment, record.trainee)
                    for qid in qids:
                        grade = gb.find_grade(qid, notebook, self.assignment, record.trainee)
                        grade.auto_score = points.get(qid, 0.0)
                        grade.needs_manual_grade = grade.manual_score is not None
                    submitted = gb.find_submission_notebook(notebook, self.assignment, record.trainee)
                    if not record.scored:
                        submitted.flagged = True
                    elif flagged_before:
                        submitted.flagged = False
                    gb.db.commit()
                return
            except (OperationalError, IntegrityError):
                # A dropped server connection, or another run creating the same trainee at the same moment:
                # start again on a fresh connection (every step above is an update, so repeating is safe).
                with contextlib.suppress(Exception):
                    gb.db.rollback()
                self.close()
                if attempt == 2:
                    raise


def _unscored(record: GradeRecord | None) -> bool:
    return record is not None and not record.scored


def read_state(path: Path) -> dict[str, GradeRecord]:
    """The resume state: stored records by ``trainee/notebook``; anything unreadable is simply graded again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # a state file cut short: everything is simply graded again
    if not isinstance(data, dict):
        return {}
    state = {}
    for key, entry in data.items():
        try:
            record = GradeRecord.from_json(entry)
        except RecordError:
            continue  # written by another version, or damaged: that submission is graded again
        if record.key == key:
            state[key] = record
    return state


def state_json(state: dict[str, GradeRecord]) -> str:
    """The resume state file's text (the same JSON shape older versions wrote)."""
    return json.dumps({key: record.to_json() for key, record in state.items()}, indent=1, sort_keys=True)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
