"""The workspace's record of itself: which course version filled it, for whom, and what was copied."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from csm_academy.errors import CsmAcademyError

#: The record's file name: its presence is what makes a folder a workspace.
MARKER = ".csm-academy-workspace.json"
#: Bumped when the record's shape changes.
FORMAT = 1
#: The distribution whose version is the course version.
DISTRIBUTION = "csm-academy"


@dataclass(frozen=True)
class FileRecord:
    """One course file: the hash of what was last written at its path, and of the last course version delivered.

    The two differ once a newer version had to arrive beside a file the trainee had changed.
    """

    copied: str
    course: str


@dataclass
class Marker:
    """The workspace record: ``files`` maps each course file's workspace path to its FileRecord."""

    course_version: str
    trainee: str | None = None
    files: dict[str, FileRecord] = field(default_factory=dict)

    def to_json(self) -> str:
        """The record as the JSON written to MARKER."""
        data = {
            "format": FORMAT,
            "course_version": self.course_version,
            "trainee": self.trainee,
            "files": {path: {"copied": r.copied, "course": r.course} for path, r in sorted(self.files.items())},
        }
        return json.dumps(data, indent=1) + "\n"


def course_version() -> str:
    """The installed course's version."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def is_workspace(folder: Path) -> bool:
    """Whether ``folder`` holds a workspace record."""
    return (folder / MARKER).is_file()


def read_marker(folder: Path) -> Marker:
    """The workspace record of ``folder``; a damaged one stops with what to do."""
    path = folder / MARKER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = {str(p): FileRecord(str(r["copied"]), str(r["course"])) for p, r in data["files"].items()}
        trainee = data.get("trainee")
        return Marker(str(data["course_version"]), None if trainee is None else str(trainee), files)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CsmAcademyError(
            f"{path} is not a readable workspace record ({type(exc).__name__}: {exc}); restore it, "
            "or open a new workspace with --workspace NEW_FOLDER (your notebooks here are untouched)"
        ) from None


def write_marker(folder: Path, marker: Marker) -> None:
    """Write the record whole or not at all (a run stopped half way leaves the previous one)."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=MARKER, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(marker.to_json())
    os.replace(tmp, folder / MARKER)
