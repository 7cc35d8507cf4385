"""The package as a graded kernel sees it: the book, the engine and the charts, and no reference code.

The grading sandbox shows this copy in place of the installed package (same path, bound over it), so
``import csm_academy...`` inside a kernel finds only what trainees may use. Every lesson module there is
a stand-in that serves the trainee's own handouts (``questions.edition``); the lessons' references and
misconceptions, the metrics behind them, the grader and the widgets are simply absent, whether imported
by name, by a built string, or read from disk.
"""

from __future__ import annotations

import atexit
import compileall
import functools
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

#: What the kernel keeps of the package, relative to its folder: nothing here computes an answer.
KEPT = (
    "__init__.py",
    "constants.py",
    "errors.py",
    "content.py",  # where the sample books are: book/ imports it (the content folder itself stays out)
    "charts.py",
    "book",
    "questions",
    "lessons/__init__.py",
    "lessons/views.py",
)
RUNTIME_PREFIX = "csm-runtime-"  # then the pid of the process that made it

STAND_IN = '''"""This lesson while its exercise is graded: your own handouts, worked out by the grader."""

from csm_academy.questions.edition import namespace

globals().update(namespace(__name__))
'''


def package_dir() -> Path:
    """The installed package's folder (located, not imported: grading sits below the package root)."""
    spec = importlib.util.find_spec("csm_academy")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).resolve().parent


def build_runtime(package: Path, target: Path) -> Path:
    """Copy the kept parts of ``package`` into ``target/csm_academy``, with a stand-in for every lesson."""
    out = target / "csm_academy"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in KEPT:
        source = package / name
        if source.is_dir():
            shutil.copytree(source, out / name, ignore=ignore)
        else:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, out / name)
    for lesson in sorted((package / "lessons").iterdir()):
        if (lesson / "__init__.py").is_file():
            (out / "lessons" / lesson.name).mkdir(parents=True, exist_ok=True)
            (out / "lessons" / lesson.name / "__init__.py").write_text(STAND_IN)
    # Compiled once here: the kernel cannot write bytecode into this read-only view, and would otherwise
    # compile every module it imports from source at each kernel start.
    compileall.compile_dir(out, quiet=1)
    # Readable by the sandbox's user whoever grades (it holds nothing secret); writable by no one else.
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for file in files:
            os.chmod(Path(folder) / file, 0o644)
    return out


@functools.cache
def trainee_runtime() -> Path:
    """This process's trainee runtime, built on first use and removed when the process ends."""
    target = Path(tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, target, True)
    return build_runtime(package_dir(), target)
