"""Making a workspace and bringing it up to date without ever overwriting a trainee's work."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from csm_academy.errors import CsmAcademyError
from csm_academy.workspace.files import CourseFile, course_files, sha256_of, solution_markers_in
from csm_academy.workspace.marker import FileRecord, Marker, course_version, is_workspace, read_marker, write_marker
from csm_academy.workspace.personal import PersonalSeed, keep_personal_seeds, personal_seeds

#: Where a workspace is made when no --workspace is given and the current folder is not one.
DEFAULT_WORKSPACE = Path("~/csm-academy")
#: Inserted before the suffix of a newer course file that arrives beside one the trainee changed.
NEW = ".new"


@dataclass(frozen=True)
class Arrival:
    """A newer version of a course file the trainee had changed, written beside it."""

    path: str  # the trainee's file, untouched
    beside: str  # the newer version


@dataclass
class SyncReport:
    """What one run did to a workspace (paths relative to it)."""

    workspace: Path
    created: bool
    course_version: str
    added: list[str] = field(default_factory=list)  # first copies, and course files new in this version
    updated: list[str] = field(default_factory=list)  # untouched by the trainee, replaced by the newer version
    restored: list[str] = field(default_factory=list)  # deleted by the trainee, copied again
    arrived: list[Arrival] = field(default_factory=list)
    seeds: list[PersonalSeed] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What to tell the trainee, one line each."""
        if self.created:
            out = [f"made your workspace {self.workspace} (course {self.course_version}, {len(self.added)} notebooks)"]
        else:
            out = [f"workspace {self.workspace} (course {self.course_version})"]
            out += [f"  new in this course version: {p}" for p in self.added]
        out += [f"  updated (you had not changed it): {p}" for p in self.updated]
        out += [f"  copied again (it was missing): {p}" for p in self.restored]
        out += [
            f"  you changed {a.path}, so the course's newer version is beside it: {a.beside} (yours is untouched)"
            for a in self.arrived
        ]
        out += [f"  your own book for {s.assignment}: seed {s.seed}, from {s.origin}" for s in self.seeds]
        return out


def default_workspace(cwd: Path | None = None) -> Path:
    """The workspace to open: the current folder or the nearest one above it that is a workspace, else ~/csm-academy."""
    here = (cwd or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if is_workspace(folder):
            return folder
    return DEFAULT_WORKSPACE.expanduser()


def sync_workspace(folder: Path, *, trainee: str | None = None, personal_release: Path | None = None) -> SyncReport:
    """Make ``folder`` a workspace, or bring it up to date with the installed course; the trainee's edits stay."""
    folder = Path(folder).expanduser().absolute()
    created = not is_workspace(folder)
    if created:
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise CsmAcademyError(
                f"{folder} already holds files and is not a CSM Academy workspace: "
                "choose a new or empty folder with --workspace"
            )
        marker = Marker(course_version(), trainee)
    else:
        marker = read_marker(folder)
        if trainee is not None and marker.trainee not in (None, trainee):
            raise CsmAcademyError(
                f"{folder} is the workspace of trainee {marker.trainee!r}, not {trainee!r}: "
                "open your own with --workspace NEW_FOLDER"
            )
    # Everything is checked before anything is written, so a refused run leaves the folder as it was.
    seeds = personal_seeds(trainee, personal_release)
    files = course_files()
    for course_file in files:
        leaked = solution_markers_in(course_file.origin.read_text(encoding="utf-8"))
        if leaked:
            raise CsmAcademyError(f"{course_file.origin} holds {', '.join(leaked)}: this install is broken")
    folder.mkdir(parents=True, exist_ok=True)
    report = SyncReport(folder, created, course_version())
    for course_file in files:
        _sync_file(folder, course_file, marker, report)
    report.seeds = keep_personal_seeds(folder, seeds)
    marker.course_version = report.course_version
    marker.trainee = trainee or marker.trainee
    write_marker(folder, marker)
    return report


def _sync_file(folder: Path, course_file: CourseFile, marker: Marker, report: SyncReport) -> None:
    target = folder / course_file.path
    fresh = sha256_of(course_file.origin)
    record = marker.files.get(course_file.path)
    if record is None:
        if not target.exists():
            _copy(course_file.origin, target)
            report.added.append(course_file.path)
        elif sha256_of(target) != fresh:  # a file the course never wrote here: the trainee's, so never replaced
            _arrive_beside(folder, course_file, fresh, record, marker, report)
            return
    elif not target.exists():
        _copy(course_file.origin, target)
        report.restored.append(course_file.path)
    elif fresh == record.course:
        return  # nothing newer from the course, whatever the trainee did
    elif sha256_of(target) == record.copied:
        _copy(course_file.origin, target)
        report.updated.append(course_file.path)
    else:
        _arrive_beside(folder, course_file, fresh, record, marker, report)
        return
    marker.files[course_file.path] = FileRecord(copied=fresh, course=fresh)


def _arrive_beside(
    folder: Path, course_file: CourseFile, fresh: str, record: FileRecord | None, marker: Marker, report: SyncReport
) -> None:
    beside = _free_name(folder / course_file.path)
    _copy(course_file.origin, beside)
    report.arrived.append(Arrival(course_file.path, beside.relative_to(folder).as_posix()))
    # The trainee's file keeps its old base: only a course version newer than this one arrives again.
    marker.files[course_file.path] = FileRecord(copied=record.copied if record else "", course=fresh)


def _free_name(path: Path) -> Path:
    """``name.new.ipynb`` beside ``name.ipynb``, or ``name.new-2.ipynb`` and so on: never an existing file."""
    n = 1
    while True:
        candidate = path.with_name(f"{path.stem}{NEW}{'' if n == 1 else f'-{n}'}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def _copy(origin: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(origin, target)  # contents only: a file from a read-only install stays writable here
