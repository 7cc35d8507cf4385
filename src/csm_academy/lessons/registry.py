"""Find the lesson module behind an assignment, so grading works for any module without changes."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import csm_academy.lessons as lessons_pkg


def lesson_for(assignment: str) -> ModuleType:
    """The lesson module whose ``ASSIGNMENT`` is ``assignment`` (it holds ``QUESTIONS``)."""
    known = []
    for info in sorted(pkgutil.iter_modules(lessons_pkg.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{lessons_pkg.__name__}.{info.name}")
        name = getattr(module, "ASSIGNMENT", None)
        if name and hasattr(module, "QUESTIONS"):
            if name == assignment:
                return module
            known.append(name)
    raise KeyError(f"no lesson defines assignment {assignment!r}; known: {', '.join(known) or 'none'}")
