"""The course's own ``nbgrader_config.py``, read the way nbgrader reads it, so a setting means the same to both graders.

nbgrader reads ``nbgrader_config.py`` from the folder it is run in and then from the course root
(``CourseDirectory.root``). This repository keeps its one config beside the course folder
(``autograder/nbgrader_config.py`` with ``root = autograder/course``); nbgrader's own quick start puts it in
the course root. Both are found here: the file beside the course folder when it names that folder as
its root, then the course root's own file, later settings winning.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from csm_academy.errors import CsmAcademyError

CONFIG_FILE = "nbgrader_config.py"


@dataclass(frozen=True)
class CourseConfig:
    """The settings of a course's nbgrader config that ``csm-academy`` honours, and the config itself."""

    files: tuple[Path, ...]  # the config files read, in the order they were applied
    config: Config  # merged, as nbgrader's apps would get it (copy before changing: see ``nbgrader_config``)
    cell_timeout: int | None  # Execute.timeout: seconds a cell may run (nbgrader's default 30); None: no limit
    code_stub: dict[str, str]  # ClearSolutions.code_stub: what a solution is replaced by, per kernel language
    db_url: str | None  # CourseDirectory.db_url when it names another gradebook than the course's own SQLite file

    def nbgrader_config(self) -> Config:
        """A copy of the merged config, safe to add run-specific settings to."""
        return copy.deepcopy(self.config)


def read_config_files(root: Path) -> list[tuple[Path, Config]]:
    """The config files nbgrader would apply to the course in ``root``, in order, each loaded (maybe none)."""
    root = Path(root).resolve()
    found = []
    beside = root.parent / CONFIG_FILE
    if beside.is_file():
        config = _load(beside)
        if _names_root(config, beside.parent, root):
            found.append((beside, config))
    own = root / CONFIG_FILE
    if own.is_file():
        found.append((own, _load(own)))
    return found


def load_course_config(root: Path) -> CourseConfig:
    """The course's nbgrader config and the settings ``csm-academy`` takes from it (nbgrader's defaults otherwise)."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import ClearSolutions, Execute

    root = Path(root).resolve()
    files = read_config_files(root)
    config = Config()
    for _, loaded in files:
        config.merge(loaded)
    # nbgrader's own classes resolve the values: a setting on a parent class (ExecutePreprocessor.timeout,
    # NotebookClient.timeout) reaches them as it reaches nbgrader, and old forms are converted as nbgrader does.
    timeout = Execute(config=copy.deepcopy(config)).timeout
    code_stub = dict(ClearSolutions(config=copy.deepcopy(config)).code_stub)
    db_url = None
    if "db_url" in config.CourseDirectory:
        db_url = CourseDirectory(config=copy.deepcopy(config), root=str(root)).db_url or None
    if db_url is not None and _is_course_sqlite(db_url, root):
        db_url = None  # the course's own gradebook file: the default, however it is spelled
    return CourseConfig(
        files=tuple(path for path, _ in files),
        config=config,
        cell_timeout=None if timeout is None or timeout < 0 else int(timeout),
        code_stub=code_stub,
        db_url=db_url,
    )


def _load(path: Path) -> Config:
    """One config file through nbgrader's application loader, its errors raised rather than logged."""
    from nbgrader.apps.baseapp import NbGrader
    from traitlets.config.application import Application

    app = NbGrader()
    app.raise_config_file_errors = True
    try:
        # What NbGrader.initialize does for the course root's file (nbgrader's old option names converted).
        Application.load_config_file(app, path.name, path=str(path.parent))
    except Exception as exc:  # a config file can fail in any way Python code can
        raise CsmAcademyError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None
    return app.config


def _names_root(config: Config, folder: Path, root: Path) -> bool:
    """Whether a config file in ``folder`` sets CourseDirectory.root to ``root`` (relative to ``folder``)."""
    if "root" not in config.CourseDirectory:
        return False
    return (folder / str(config.CourseDirectory.root)).resolve() == root


def _is_course_sqlite(url: str, root: Path) -> bool:
    prefix = "sqlite:///"
    return url.startswith(prefix) and Path(url[len(prefix) :]).resolve() == (root / "gradebook.db").resolve()
