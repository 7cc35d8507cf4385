"""Who the course knows for an assignment and what each of them handed in: the roster every report lists.

A trainee the course knows (a personalised release, the instructor's list, a gradebook student, a
submission folder, an earlier grade) is never left out of ``grades.csv``, the gradebook or the cohort
report. A notebook saved under a browser's download name (``01_nrr_math (1).ipynb``) or dropped straight
into ``submitted/<trainee>/`` is graded all the same, and every report says which file it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from csm_academy.grading.layout import CourseLayout
from csm_academy.grading.records import GradeRecord


class Known(StrEnum):
    """Where the course knows a trainee from (the roster's ``known_from`` column)."""

    RELEASED = "personal copy released"
    LISTED = "on the trainees list"
    GRADEBOOK = "gradebook student"
    FOLDER = "submission folder"
    GRADED = "graded before"


class Handed(StrEnum):
    """How a trainee's notebook of the assignment was found."""

    AS_RELEASED = "as released"
    RENAMED = "under another file name"  # in the assignment folder, e.g. "01_nrr_math (1).ipynb"
    LOOSE = "outside the assignment folder"  # straight in submitted/<trainee>/
    NOT_SUBMITTED = "not submitted"
    AMBIGUOUS = "several notebooks, none as released"  # not graded: which one is meant is the trainee's to say

    @property
    def gradable(self) -> bool:
        """Whether a file was found to grade."""
        return self in (Handed.AS_RELEASED, Handed.RENAMED, Handed.LOOSE)


@dataclass(frozen=True)
class Handin:
    """One trainee's notebook of an assignment as found on disk."""

    trainee: str
    notebook: str  # the released file name, e.g. 01_nrr_math.ipynb
    handed: Handed
    found_as: str = ""  # the file graded, relative to submitted/<trainee>/, when it is not <assignment>/<notebook>
    candidates: tuple[str, ...] = ()  # the notebooks found, when none could be chosen

    @property
    def note(self) -> str:
        """What an instructor should know about where the file was, in words ("" when as released)."""
        if self.handed in (Handed.RENAMED, Handed.LOOSE):
            return found_note(self.found_as, self.notebook)
        if self.handed is Handed.AMBIGUOUS:
            found = ", ".join(repr(c) for c in self.candidates)
            return f"not graded: {found} were handed in; keep only {self.notebook!r}"
        return ""


@dataclass(frozen=True)
class RosterEntry:
    """One line of the roster: a trainee, how the course knows them, what they handed in, how it graded."""

    trainee: str
    notebook: str
    known_from: tuple[Known, ...]
    handin: Handin
    record: GradeRecord | None = None

    @property
    def status(self) -> str:
        """The grading status when graded, else why there is no grade ("not submitted", ...)."""
        return self.record.status.value if self.record is not None else self.handin.handed.value

    @property
    def found_as(self) -> str:
        """The file graded when it was not the released name ("" otherwise)."""
        return self.record.found_as if self.record is not None else self.handin.found_as

    @property
    def detail(self) -> str:
        """Why the status is what it is, and where the file was when not where expected."""
        parts = [self.record.detail] if self.record is not None and self.record.detail else []
        if self.record is None and self.handin.note:
            parts.append(self.handin.note)
        elif self.record is not None and self.record.found_as:
            parts.append(found_note(self.record.found_as, self.notebook))
        return "; ".join(parts)


def found_note(found_as: str, notebook: str) -> str:
    """Where a graded file was, in words: under another name in the assignment folder, or outside it."""
    where = Handed.RENAMED if "/" in found_as else Handed.LOOSE  # found_as is relative to submitted/<trainee>/
    return f"graded from {found_as!r} ({where.value}; released as {notebook!r})"


_DOWNLOAD_SUFFIX = re.compile(r"(\s*\(\d+\)|[\s_-]*copy\d*|[\s_-]*\(copy\))+$", re.IGNORECASE)


def released_stem(name: str) -> str:
    """A file name as the released notebook's stem it stands for: browser and Jupyter copy suffixes removed."""
    stem = Path(name).stem
    return _DOWNLOAD_SUFFIX.sub("", stem).strip().replace(" ", "_").lower()


def _notebooks_in(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if p.suffix == ".ipynb" and not p.name.startswith(".") and p.is_file()
    )


def find_handin(layout: CourseLayout, trainee: str, assignment: str, notebook: str, *, only: bool) -> Handin:
    """Where ``trainee``'s ``notebook`` is: as released, renamed, loose, or not there (``only``: the sole notebook)."""
    if layout.submitted(trainee, assignment, notebook).is_file():
        return Handin(trainee, notebook, Handed.AS_RELEASED)
    stem = Path(notebook).stem.lower()
    in_folder = _notebooks_in(layout.submitted(trainee, assignment, notebook).parent)
    named = [n for n in in_folder if released_stem(n) == stem]
    if not named and only and len(in_folder) == 1:
        named = in_folder  # the assignment's one notebook, whatever it was called
    if len(named) == 1:
        return Handin(trainee, notebook, Handed.RENAMED, f"{assignment}/{named[0]}")
    if len(named) > 1:
        return Handin(trainee, notebook, Handed.AMBIGUOUS, candidates=tuple(f"{assignment}/{n}" for n in named))
    loose = [n for n in _notebooks_in(layout.root / "submitted" / trainee) if released_stem(n) == stem]
    if len(loose) == 1:
        return Handin(trainee, notebook, Handed.LOOSE, loose[0])
    if len(loose) > 1:
        return Handin(trainee, notebook, Handed.AMBIGUOUS, candidates=tuple(loose))
    return Handin(trainee, notebook, Handed.NOT_SUBMITTED)


def handins(layout: CourseLayout, assignment: str, trainees: Iterable[str]) -> list[Handin]:
    """Every (trainee, notebook) of the assignment as found, in trainee then notebook order."""
    notebooks = layout.notebooks(assignment)
    return [
        find_handin(layout, trainee, assignment, nb, only=len(notebooks) == 1)
        for trainee in sorted(set(trainees))
        for nb in notebooks
    ]


def known_trainees(
    layout: CourseLayout,
    assignment: str,
    *,
    listed: Sequence[str] = (),
    gradebook_students: Sequence[str] = (),
    records: Mapping[str, GradeRecord] | None = None,
) -> dict[str, tuple[Known, ...]]:
    """Every trainee the course knows for ``assignment``, with where from (in ``Known`` order)."""
    found: dict[str, set[Known]] = {}

    def add(names: Iterable[str], how: Known) -> None:
        for name in names:
            found.setdefault(name, set()).add(how)

    personal = layout.root / "release-personal"
    if personal.is_dir():
        add((p.name for p in personal.iterdir() if (p / assignment).is_dir()), Known.RELEASED)
    add(listed, Known.LISTED)
    add(gradebook_students, Known.GRADEBOOK)
    submitted = layout.root / "submitted"
    if submitted.is_dir():
        add((p.name for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")), Known.FOLDER)
    add((r.trainee for r in (records or {}).values()), Known.GRADED)
    order = list(Known)
    return {name: tuple(sorted(hows, key=order.index)) for name, hows in sorted(found.items())}


def roster(
    layout: CourseLayout,
    assignment: str,
    records: Mapping[str, GradeRecord],
    *,
    listed: Sequence[str] = (),
    gradebook_students: Sequence[str] = (),
) -> list[RosterEntry]:
    """One entry per known trainee and notebook: how they are known, what was found, the stored grade if any."""
    known = known_trainees(layout, assignment, listed=listed, gradebook_students=gradebook_students, records=records)
    return [
        RosterEntry(h.trainee, h.notebook, known[h.trainee], h, records.get(f"{h.trainee}/{h.notebook}"))
        for h in handins(layout, assignment, known)
    ]
