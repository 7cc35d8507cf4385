"""What a workspace holds, file by file, and where each file comes from in the installed package."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from csm_academy.content import student_edition, student_editions, teaching_notebooks

#: Teaching notebooks go here in the workspace, as in the repository (the start page says so).
COURSE = "course"
#: Student editions go to ``exercises/<assignment>/<assignment>.ipynb``.
EXERCISES = "exercises"
#: The page JupyterLab opens on, relative to the workspace.
START_PAGE = f"{COURSE}/00_start_here.ipynb"
#: Text that only an instructor's notebook holds: a workspace never receives a file containing any of it.
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS")


@dataclass(frozen=True)
class CourseFile:
    """One file the course puts in a workspace: its path there (POSIX, relative) and the packaged original."""

    path: str
    origin: Path


def course_files() -> list[CourseFile]:
    """Every file a workspace gets: the teaching notebooks, then each assignment's student edition."""
    files = [CourseFile(f"{COURSE}/{nb.name}", nb) for nb in teaching_notebooks()]
    for folder in sorted(p for p in student_editions().iterdir() if p.is_dir()):
        edition = student_edition(folder.name)
        files.append(CourseFile(f"{EXERCISES}/{folder.name}/{edition.name}", edition))
    return files


def assignments() -> list[str]:
    """The graded exercises the course hands out, in module order."""
    return [Path(f.path).parent.name for f in course_files() if f.path.startswith(f"{EXERCISES}/")]


def exercise_folder(workspace: Path, assignment: str) -> Path:
    """Where an assignment's notebook sits in a workspace (its kernel runs there, and reads its seed there)."""
    return workspace / EXERCISES / assignment


def solution_markers_in(text: str) -> list[str]:
    """The instructor-only markers found in ``text`` (empty for anything fit to hand to a trainee)."""
    return [marker for marker in SOLUTION_MARKERS if marker in text]


def sha256_of(path: Path) -> str:
    """Hash of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
