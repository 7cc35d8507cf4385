"""The one writer: scores into nbgrader's own gradebook, executed notebooks beside it, and resume state."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from csm_academy.errors import CsmAcademyError
from csm_academy.grading.course_config import load_course_config
from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord, RecordError
from csm_academy.lessons.registry import lesson_for

T = TypeVar("T")

SERVER_COURSE_ID = "default_course"  # the course row nbgrader's Gradebook creates by itself
#: What nbgrader submit leaves beside a notebook that feedback needs (nbgrader autograde copies them on).
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


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
            # As nbgrader autograde does: the hand-in time and the submission's secret go beside the graded copy;
            # generate_feedback copies them on, and release_feedback needs both (the secret names the feedback).
            handed_in = self.layout.submitted(record.trainee, self.assignment, record.notebook).parent
            for name in SUBMISSION_FILES:
                if (handed_in / name).is_file():
                    shutil.copyfile(handed_in / name, out.parent / name)
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

    def enrol(self, trainees: Iterable[str]) -> None:
        """Make every trainee the course knows a gradebook student, so ``nbgrader export`` lists each one."""
        names = list(trainees)
        if names:
            self._with_retry(lambda gb: [gb.update_or_create_student(name) for name in names])

    def students(self) -> list[str]:
        """The gradebook's students (added by nbgrader, formgrader or an earlier run)."""
        return self._with_retry(lambda gb: sorted(s.id for s in gb.students))

    def _gradebook(self, record: GradeRecord, *, flagged_before: bool) -> None:
        """Write the record into nbgrader's tables as ``nbgrader autograde`` would.

        Autograded cells need no manual grade (unless one was given). A written answer left as released
        scores zero; one the trainee wrote waits for a manual grade; a solution cell left as released gets
        nbgrader's "No response." comment. A submission that could not be graded scores zero on every task
        and is flagged, so formgrader and ``nbgrader export`` show every trainee and no earlier score
        outlives the submission that replaced it; grading it later lifts the flag.
        """
        notebook = Path(record.notebook).stem
        points = {q.qid: float(q.points) for q in record.questions} if record.scored else {}
        autograded = set(lesson_for(self.assignment).qids)
        cells = _answer_cells(record.executed_notebook) if record.scored else {}
        timestamp = _timestamp(self.layout.submitted(record.trainee, self.assignment, record.notebook).parent)

        def store(gb) -> None:
            released = {c.name: c.checksum for c in gb.find_notebook(notebook, self.assignment).source_cells}
            gb.update_or_create_student(record.trainee)
            if timestamp is not None:
                gb.update_or_create_submission(self.assignment, record.trainee, timestamp=timestamp)
            else:
                gb.update_or_create_submission(self.assignment, record.trainee)
            submitted = gb.find_submission_notebook(notebook, self.assignment, record.trainee)
            for grade in submitted.grades:
                if grade.name in autograded:
                    grade.auto_score = points.get(grade.name, 0.0)
                elif grade.name in cells:  # a written answer: nbgrader's own rule for solution cells
                    cell = cells[grade.name]
                    grade.auto_score = 0.0 if _as_released(cell, released.get(grade.name)) else None
                else:  # no notebook to read: nothing written counts, as nbgrader does for a missing file
                    grade.auto_score = 0.0
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in submitted.comments:
                cell = cells.get(comment.name)
                blank = cell is not None and _as_released(cell, released.get(comment.name)) and not _is_task(cell)
                comment.auto_comment = "No response." if blank else None
            if not record.scored:
                submitted.flagged = True
            elif flagged_before:
                submitted.flagged = False

        self._with_retry(store)

    def _with_retry(self, step: Callable[[Any], T]) -> T:
        """Run ``step(gradebook)`` and commit; on a dropped connection or a concurrent insert, once more afresh."""
        from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning

        for attempt in range(3):
            if self._gb is None:
                self._gb = open_gradebook(self.layout)
            gb = self._gb
            try:
                with warnings.catch_warnings():
                    # nbgrader's own update_or_create_submission makes SQLAlchemy warn about an autoflush
                    # before it adds the new rows itself; the rows are stored all the same.
                    warnings.filterwarnings("ignore", category=SAWarning)
                    result = step(gb)
                    gb.db.commit()
                return result
            except (OperationalError, IntegrityError):
                # A dropped server connection, or another run creating the same trainee at the same moment:
                # start again on a fresh connection (every step is an update, so repeating is safe).
                with contextlib.suppress(Exception):
                    gb.db.rollback()
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _answer_cells(notebook_json: str | None) -> dict[str, Any]:
    """The cells of an executed notebook that nbgrader tracks, by grade id (as nbformat nodes)."""
    if not notebook_json:
        return {}
    import nbformat

    try:
        # nbformat's reader joins multi-line sources into one string, as nbgrader's checksum expects.
        cells = nbformat.reads(notebook_json, as_version=nbformat.NO_CONVERT).get("cells", [])
    except Exception:  # not a notebook we can read back: nothing written is taken as answered or blank
        return {}
    out = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and meta.get("grade_id"):
            out[meta["grade_id"]] = cell
    return out


def _as_released(cell: Any, checksum: str | None) -> bool:
    """Whether a solution cell is exactly as released (nbgrader's checksum, taken from the gradebook)."""
    from csm_academy.grading.checksum import compute_checksum

    try:
        return checksum is not None and compute_checksum(cell) == checksum
    except (KeyError, AttributeError, TypeError, ValueError):
        return False  # metadata a trainee mangled: not "as released", so a person looks at it


def _is_task(cell: Any) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("task", False))


def _timestamp(folder: Path) -> Any:
    """When the submission was handed in: nbgrader's timestamp.txt in its folder, read as nbgrader reads it."""
    from nbgrader.utils import parse_utc

    try:
        text = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
        return parse_utc(text) if text else None
    except (OSError, ValueError, OverflowError):
        return None  # none, or not a time: the submission is stored without one, as nbgrader stores it


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
