"""A trainee's self-study progress: per assignment, the best and the last self-graded attempt, and how many.

Kept in the workspace (``Workspace.progress_file``) as JSON, replaced whole on every write, so an interrupted
write leaves the previous file, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csm_academy.errors import CsmAcademyError
from csm_academy.grading.records import GradeRecord, QuestionResult, RecordError, Status

#: The progress file's format; a file of another format is refused, never half-read.
FORMAT = 1
#: What self-study writes is the trainee's to read and share (mkstemp alone would leave it 0600).
PAGE_MODE = 0o644


@dataclass(frozen=True)
class AttemptScore:
    """One self-graded attempt: when, how it ended, and each task's result."""

    at: datetime  # when it was graded, in UTC
    status: Status
    questions: tuple[QuestionResult, ...]

    @classmethod
    def of(cls, record: GradeRecord, at: datetime) -> AttemptScore:
        """The attempt a graded record stands for."""
        return cls(at, record.status, record.questions)

    @property
    def points(self) -> float:
        """Points scored."""
        return sum(q.points for q in self.questions)

    @property
    def max_points(self) -> float:
        """Points available."""
        return sum(q.max_points for q in self.questions)

    @property
    def missing(self) -> tuple[QuestionResult, ...]:
        """The tasks that did not score their full points."""
        return tuple(q for q in self.questions if q.points < q.max_points)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "status": self.status.value,
            "questions": [q.to_json() for q in self.questions],
        }

    @classmethod
    def from_json(cls, data: Any) -> AttemptScore:
        """Read ``to_json``'s form back; RecordError if it is not that shape."""
        if not isinstance(data, dict):
            raise RecordError("an attempt must be a JSON object")
        try:
            at = datetime.fromisoformat(str(data.get("at")))
            status = Status(data.get("status"))
        except ValueError as exc:
            raise RecordError(str(exc)) from None
        questions = data.get("questions")
        if not isinstance(questions, list):
            raise RecordError("questions must be a list")
        return cls(at, status, tuple(QuestionResult.from_json(q) for q in questions))


@dataclass(frozen=True)
class AssignmentProgress:
    """An assignment's self-study record: its best attempt, its last one, and how many there were."""

    assignment: str
    attempts: int
    best: AttemptScore
    last: AttemptScore

    def after(self, attempt: AttemptScore) -> AssignmentProgress:
        """The record once ``attempt`` is added (a tie keeps the earlier best: it was reached first)."""
        best = attempt if attempt.points > self.best.points else self.best
        return replace(self, attempts=self.attempts + 1, best=best, last=attempt)


@dataclass(frozen=True)
class Progress:
    """Every assignment a trainee has self-graded, by assignment id."""

    assignments: dict[str, AssignmentProgress]

    def get(self, assignment: str) -> AssignmentProgress | None:
        """The record of ``assignment``, None before its first attempt."""
        return self.assignments.get(assignment)

    def with_attempt(self, assignment: str, attempt: AttemptScore) -> Progress:
        """A copy with ``attempt`` of ``assignment`` added."""
        known = self.assignments.get(assignment)
        updated = known.after(attempt) if known else AssignmentProgress(assignment, 1, attempt, attempt)
        return Progress({**self.assignments, assignment: updated})

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: the progress file's shape."""
        return {
            "format": FORMAT,
            "assignments": {
                a: {"attempts": p.attempts, "best": p.best.to_json(), "last": p.last.to_json()}
                for a, p in self.assignments.items()
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> Progress:
        """Read ``to_json``'s form back; RecordError if it is not that shape."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RecordError(f"not a progress file of format {FORMAT}")
        entries = data.get("assignments")
        if not isinstance(entries, dict):
            raise RecordError("assignments must be a JSON object")
        out = {}
        for assignment, entry in entries.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("attempts"), int):
                raise RecordError(f"{assignment}: attempts must be a whole number")
            best, last = AttemptScore.from_json(entry.get("best")), AttemptScore.from_json(entry.get("last"))
            out[assignment] = AssignmentProgress(assignment, entry["attempts"], best, last)
        return cls(out)


def read_progress(path: Path) -> Progress:
    """The progress in ``path``, empty when there is none yet; a damaged file stops with one line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Progress({})
    except OSError as exc:
        raise CsmAcademyError(f"cannot read your progress file {path}: {exc.strerror}") from None
    try:
        return Progress.from_json(json.loads(text))
    except (ValueError, RecordError) as exc:  # JSONDecodeError is a ValueError
        raise CsmAcademyError(
            f"your progress file {path} is damaged ({str(exc).splitlines()[0]}); move it away to start a new one"
        ) from None


def write_progress(path: Path, progress: Progress) -> None:
    """Replace ``path`` with ``progress`` in one step (a new file, then renamed over the old one)."""
    write_atomically(path, json.dumps(progress.to_json(), indent=1) + "\n")


def record_attempt(path: Path, record: GradeRecord, at: datetime | None = None) -> AssignmentProgress:
    """Add a graded record to the progress file; returns its assignment's record as it now stands."""
    attempt = AttemptScore.of(record, at or datetime.now(UTC))
    progress = read_progress(path).with_attempt(record.assignment, attempt)
    write_progress(path, progress)
    return progress.assignments[record.assignment]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and one rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CsmAcademyError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(temporary, PAGE_MODE)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CsmAcademyError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
