"""nbgrader's course layout, as the grader reads and writes it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from csm_academy.content import checkout_root, exercise_sources

#: The PostgreSQL driver this package installs (psycopg2-binary). SQLAlchemy 2.1 reads a bare
#: postgresql:// as psycopg 3, which is not installed, so a bare URL is given this driver instead.
POSTGRES_DRIVER = "postgresql+psycopg2"


def with_installed_driver(url: str) -> str:
    """A database URL with the driver this package installs when it names none (postgresql://...)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgresql", "postgres"):
        return f"{POSTGRES_DRIVER}://{rest}"
    return url


@dataclass(frozen=True)
class CourseLayout:
    """Paths of one nbgrader course: ``{root}/{step}/{trainee}/{assignment}/{notebook}``."""

    root: Path
    db_url: str | None = None  # e.g. postgresql://user@host/gradebook; None is the SQLite file in the course

    @property
    def gradebook_url(self) -> str:
        """nbgrader's gradebook: ``db_url`` when given, else SQLite in the course folder (one machine)."""
        if not self.db_url:
            return f"sqlite:///{self.root / 'gradebook.db'}"
        return with_installed_driver(self.db_url)

    def source(self, assignment: str) -> Path:
        """The instructor's source folder of an assignment."""
        return self.root / "source" / assignment

    def release(self, assignment: str) -> Path:
        """nbgrader's release folder of an assignment."""
        return self.root / "release" / assignment

    def personal_release(self, trainee: str, assignment: str) -> Path:
        """A trainee's personalised release folder."""
        return self.root / "release-personal" / trainee / assignment

    def submitted(self, trainee: str, assignment: str, notebook: str) -> Path:
        """A raw submission (read only, never modified)."""
        return self.root / "submitted" / trainee / assignment / notebook

    def handed_in(self, trainee: str, assignment: str, notebook: str, found_as: str = "") -> Path:
        """The file a trainee handed in: ``found_as`` (under submitted/<trainee>/) when it was not the released name."""
        if found_as:
            return self.root / "submitted" / trainee / found_as
        return self.submitted(trainee, assignment, notebook)

    def autograded(self, trainee: str, assignment: str, notebook: str) -> Path:
        """The executed copy of a submission."""
        return self.root / "autograded" / trainee / assignment / notebook

    def reports(self, assignment: str) -> Path:
        """Where grades.csv, feedback pages and the cohort report go."""
        return self.root / "reports" / assignment

    def state_file(self, assignment: str) -> Path:
        """What has been graded already, by submission hash (for resuming)."""
        return self.root / "autograded" / f".csm-academy-{assignment}.json"

    def notebooks(self, assignment: str) -> list[str]:
        """Notebook file names of an assignment's source."""
        return sorted(p.name for p in self.source(assignment).glob("*.ipynb"))

    def trainees(self, assignment: str) -> list[str]:
        """Trainees with a submission folder for the assignment, in name order."""
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())

    def hidden_from_trainees(self) -> list[Path]:
        """Folders a trainee kernel must not see: the course, the packaged sources, a checkout's instructor parts."""
        hide = [self.root, self.root.resolve(), exercise_sources()]
        checkout = checkout_root()
        if checkout is not None:  # the repository's sources, grading folders and history (which holds every solution)
            hide += [checkout / "exercises", checkout / "autograder", *git_dirs(checkout)]
        source = self.root / "source"
        if source.is_symlink() or source.exists():
            hide.append(source.resolve())
        out: list[Path] = []
        # Folders only: the sandbox hides each behind an empty folder.
        for p in sorted({h.resolve() for h in hide if h.is_dir()}, key=lambda h: len(h.parts)):
            if not any(p == q or q in p.parents for q in out):  # a parent already hides it
                out.append(p)
        return out


def git_dirs(repo: Path) -> list[Path]:
    """The repository's git folders: ``.git``, or in a worktree (where ``.git`` is a file) the folders it names.

    The history holds every solution, so a trainee kernel must not see it from any checkout.
    """
    dot_git = repo / ".git"
    if dot_git.is_dir():
        return [dot_git]
    try:
        text = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return []
    if not text.startswith("gitdir:"):
        return []
    gitdir = repo / text.removeprefix("gitdir:").strip()  # an absolute path stays as it is
    found = [gitdir]
    with contextlib.suppress(OSError):  # a worktree's own folder names the repository's shared one
        found.append(gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip())
    return found
