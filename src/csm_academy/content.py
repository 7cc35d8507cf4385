"""Where the course's own files are: teaching notebooks, student editions, exercise sources and sample books.

They ship inside the package as ``csm_academy/content/`` (in a checkout, links to the repository's
top-level ``course/``, ``exercises/``, ``datasets/`` and ``autograder/nbgrader_config.py``; in a wheel,
copies), so an installed course finds them through ``importlib.resources`` wherever pip put it.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: The package-data folder holding the course's files.
CONTENT = "content"
#: Overrides where the sample books are read from and written to (contributors regenerating them).
DATASETS_ENV = "CSM_ACADEMY_DATASETS"


def content_root() -> Path:
    """The package's content folder (a real folder on disk: the package is never imported from a zip)."""
    return Path(str(resources.files("csm_academy") / CONTENT))


def course_dir() -> Path:
    """The teaching notebooks (``00_start_here.ipynb`` and one per module)."""
    return content_root() / "course"


def teaching_notebooks() -> list[Path]:
    """Every teaching notebook, in module order."""
    return sorted(course_dir().glob("*.ipynb"))


def datasets_dir() -> Path:
    """The committed sample books (``CSM_ACADEMY_DATASETS`` overrides it)."""
    override = os.environ.get(DATASETS_ENV)
    return Path(override) if override else content_root() / "datasets"


def exercise_sources() -> Path:
    """The graded exercises as the course authors wrote them: nbgrader's ``source/``, solutions included."""
    return content_root() / "exercises" / "source"


def student_editions() -> Path:
    """The graded exercises as trainees get them, ``student/<assignment>/<notebook>``: no solutions or hidden tests."""
    return content_root() / "exercises" / "student"


def student_edition(assignment: str) -> Path:
    """The student edition of one assignment's notebook."""
    return student_editions() / assignment / f"{assignment}.ipynb"


def nbgrader_config() -> Path:
    """The course's nbgrader configuration (``autograder/nbgrader_config.py``), copied into new course folders."""
    return content_root() / "nbgrader_config.py"


def checkout_root() -> Path | None:
    """The repository this package runs from (an editable install), or None when it was installed from a wheel.

    In a checkout the content folders are links into the repository; a wheel holds copies.
    """
    exercises = content_root() / "exercises"
    return exercises.resolve().parent if exercises.is_symlink() else None
