"""Grading results as types: one status enum, one record per submission, one JSON form for both uses.

A record crosses two boundaries as JSON: from a Dask worker to the process that started the run, and
into the resume state file beside the autograded notebooks. Both use ``to_json``/``from_json`` here,
so the shape is written down once and a record that does not fit it is refused, not half-read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from typing import Any, TypeVar

from csm_academy.questions.feedback import Feedback, Outcome


class Status(StrEnum):
    """How grading a submission ended (the values are what reports and the state file show)."""

    GRADED = "graded"
    TAMPERED = "tampered"  # locked cells were edited; graded with the instructor's cells put back
    TIMED_OUT = "timed out"
    TASK_TIMED_OUT = "a task timed out"  # interrupted at the cell limit; zero for it, the rest graded
    KERNEL_DIED = "kernel died"
    OUTPUT_TOO_LARGE = "output too large"  # one message over the size cap cut the kernel's connection
    UNREADABLE = "could not be read"
    FAILED = "grading failed"

    @property
    def scored(self) -> bool:
        """Whether a submission that ended this way has scores (written to the gradebook).

        A submission that stops its own grading (it hangs, kills its kernel or floods it) keeps what it earned
        before it stopped and scores zero for the tasks it stopped: never "no score" instead of a low one.
        Only a file that is no notebook, or a failure of the grader itself, leaves no score.
        """
        return self in (
            Status.GRADED,
            Status.TAMPERED,
            Status.TIMED_OUT,
            Status.TASK_TIMED_OUT,
            Status.KERNEL_DIED,
            Status.OUTPUT_TOO_LARGE,
        )

    @property
    def stopped(self) -> bool:
        """Whether grading stopped before the end of the notebook (the detail names the task)."""
        return self in (Status.TIMED_OUT, Status.KERNEL_DIED, Status.OUTPUT_TOO_LARGE)


class RecordError(ValueError):
    """A record's JSON form does not have the shape ``to_json`` writes."""


@dataclass(frozen=True)
class Job:
    """One submission to grade: a trainee's notebook of an assignment."""

    trainee: str
    assignment: str
    notebook: str  # file name, e.g. 01_nrr_math.ipynb
    found_as: str = ""  # the file handed in, relative to submitted/<trainee>/, when not <assignment>/<notebook>

    @property
    def key(self) -> str:
        """The submission's key in the resume state: ``trainee/notebook``."""
        return f"{self.trainee}/{self.notebook}"


@dataclass(frozen=True)
class QuestionResult:
    """How one question of a submission was judged."""

    qid: str
    title: str
    outcome: Outcome
    message: str
    points: float
    max_points: float
    misconception: str | None = None
    hidden: bool = False  # judged on books the trainee never saw

    @classmethod
    def from_feedback(cls, feedback: Feedback) -> QuestionResult:
        """The result the grader keeps of a question's feedback."""
        return cls(
            feedback.qid,
            feedback.title,
            feedback.outcome,
            feedback.message,
            feedback.points,
            feedback.max_points,
            feedback.misconception,
            feedback.hidden,
        )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, the same keys as ``Feedback.as_dict`` (what older state files hold)."""
        return {
            "qid": self.qid,
            "title": self.title,
            "outcome": self.outcome.value,
            "message": self.message,
            "points": self.points,
            "max_points": self.max_points,
            "misconception": self.misconception,
            "hidden": self.hidden,
        }

    @classmethod
    def from_json(cls, data: Any) -> QuestionResult:
        """Read ``to_json``'s form back; RecordError if it is not that shape."""
        data = _mapping(data, "question")
        outcome = _member(Outcome, data.get("outcome"), "outcome")
        misconception = data.get("misconception")
        if misconception is not None and not isinstance(misconception, str):
            raise RecordError("misconception must be text or null")
        return cls(
            qid=_text(data, "qid"),
            title=_text(data, "title"),
            outcome=outcome,
            message=_text(data, "message"),
            points=_number(data, "points"),
            max_points=_number(data, "max_points"),
            misconception=misconception,
            hidden=_flag(data, "hidden"),
        )


@dataclass(frozen=True)
class GradeRecord:
    """The result of grading one submission: what it was, how grading ended, and each question's result."""

    trainee: str
    assignment: str
    notebook: str
    sha256: str  # of the raw submission; empty when it must be graded again on the next run
    status: Status
    detail: str = ""
    questions: tuple[QuestionResult, ...] = ()
    seconds: float | None = None
    executed_notebook: str | None = None  # the executed notebook (nbformat JSON); never kept in the state file
    found_as: str = ""  # the file graded, relative to submitted/<trainee>/, when not the released name

    @classmethod
    def of(
        cls,
        job: Job,
        status: Status,
        detail: str = "",
        *,
        sha256: str = "",
        questions: Iterable[QuestionResult] = (),
        seconds: float | None = None,
        executed_notebook: str | None = None,
    ) -> GradeRecord:
        """The record of ``job`` (the one constructor the grader uses)."""
        return cls(
            job.trainee,
            job.assignment,
            job.notebook,
            sha256,
            Status(status),
            detail,
            tuple(questions),
            seconds,
            executed_notebook,
            job.found_as,
        )

    @property
    def job(self) -> Job:
        """The submission this record is about."""
        return Job(self.trainee, self.assignment, self.notebook, self.found_as)

    @property
    def key(self) -> str:
        """The record's key in the resume state: ``trainee/notebook``."""
        return self.job.key

    @property
    def scored(self) -> bool:
        """Whether its scores can be trusted (see ``Status.scored``)."""
        return self.status.scored

    @property
    def points(self) -> float | None:
        """Points scored, or None when the submission could not be graded at all (never a zero)."""
        return sum(q.points for q in self.questions) if self.scored else None

    @property
    def max_points(self) -> float:
        """Points available across the questions judged."""
        return sum(q.max_points for q in self.questions)

    @property
    def misconceptions(self) -> list[str]:
        """The misconceptions the answers showed, in question order."""
        return [q.misconception for q in self.questions if q.misconception]

    def without_executed_notebook(self) -> GradeRecord:
        """The same record without the executed notebook (what is kept once that is written to disk)."""
        return replace(self, executed_notebook=None) if self.executed_notebook is not None else self

    def to_json(self, *, with_executed_notebook: bool = False) -> dict[str, Any]:
        """Plain JSON: the resume state's shape, plus the executed notebook when asked (Dask transport)."""
        data: dict[str, Any] = {
            "trainee": self.trainee,
            "assignment": self.assignment,
            "notebook": self.notebook,
            "sha256": self.sha256,
            "status": self.status.value,
            "detail": self.detail,
            "questions": [q.to_json() for q in self.questions],
        }
        if self.seconds is not None:
            data["seconds"] = self.seconds
        if self.found_as:
            data["found_as"] = self.found_as
        if with_executed_notebook and self.executed_notebook is not None:
            data["notebook_json"] = self.executed_notebook
        return data

    @classmethod
    def from_json(cls, data: Any) -> GradeRecord:
        """Read ``to_json``'s form back (older state files included); RecordError if it is not that shape."""
        data = _mapping(data, "record")
        status = _member(Status, data.get("status"), "status")
        questions = data.get("questions", [])
        if not isinstance(questions, list):
            raise RecordError("questions must be a list")
        seconds = data.get("seconds")
        if seconds is not None:
            seconds = _number(data, "seconds")
        executed = data.get("notebook_json")
        if executed is not None and not isinstance(executed, str):
            raise RecordError("notebook_json must be text")
        return cls(
            trainee=_text(data, "trainee"),
            assignment=_text(data, "assignment"),
            notebook=_text(data, "notebook"),
            sha256=_text(data, "sha256", default=""),
            status=status,
            detail=_text(data, "detail", default=""),
            questions=tuple(QuestionResult.from_json(q) for q in questions),
            seconds=seconds,
            executed_notebook=executed,
            found_as=_text(data, "found_as", default=""),
        )


def failed(job: Job, detail: str, sha256: str = "") -> GradeRecord:
    """The record of a submission the grader could not grade (no hash by default: the next run tries again)."""
    return GradeRecord.of(job, Status.FAILED, detail, sha256=sha256)


_MISSING = object()


E = TypeVar("E", bound=Enum)


def _member(enum: type[E], value: Any, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise RecordError(f"unknown {what} {value!r}") from None


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise RecordError(f"a {what} must be a JSON object, not {type(data).__name__}")
    return data


def _text(data: Mapping[str, Any], key: str, default: Any = _MISSING) -> str:
    value = data.get(key, default)
    if value is _MISSING:
        raise RecordError(f"{key} is missing")
    if not isinstance(value, str):
        raise RecordError(f"{key} must be text")
    return value


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise RecordError(f"{key} must be true or false")
    return value


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key)
    # Kept as read (an int stays an int), so grades.csv shows the same figures as before the round trip.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{key} must be a number")
    return value
