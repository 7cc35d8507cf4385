"""The student editions in ``exercises/student/``: what nbgrader's generate_assignment makes of the sources.

They are committed, like the sample books, so an install can hand them out without running nbgrader;
``csm-academy editions`` makes them again and ``--check`` says which ones drifted from their source.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from csm_academy.content import exercise_sources, nbgrader_config, student_edition, student_editions


def source_assignments() -> list[str]:
    """Every assignment with a source notebook, in module order."""
    return sorted(p.parent.name for p in exercise_sources().glob("*/*.ipynb") if p.stem == p.parent.name)


def generate_editions(scratch: Path) -> dict[str, Path]:
    """Run nbgrader's generate_assignment on every source, in a course made under ``scratch`` with the course config."""
    from csm_academy.grading.gradebook import generate_assignment
    from csm_academy.grading.layout import CourseLayout

    # The course's own config beside the course folder, as in the repository's autograder/: same code stub.
    shutil.copyfile(nbgrader_config(), scratch / "nbgrader_config.py")
    layout = CourseLayout(scratch / "course")
    out = {}
    for assignment in source_assignments():
        shutil.copytree(exercise_sources() / assignment, layout.source(assignment))
        generate_assignment(layout, assignment)
        out[assignment] = layout.release(assignment) / f"{assignment}.ipynb"
    return out


def notebook_differences(expected: dict, actual: dict) -> list[str]:
    """How ``actual`` differs from ``expected`` where trainees and nbgrader look: cells, sources, nbgrader metadata."""
    if len(expected["cells"]) != len(actual["cells"]):
        return [f"{len(actual['cells'])} cells where nbgrader makes {len(expected['cells'])}"]
    found = []
    for n, (want, got) in enumerate(zip(expected["cells"], actual["cells"], strict=True), 1):
        name = want.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {n}"
        if want["cell_type"] != got["cell_type"]:
            found.append(f"{name}: a {got['cell_type']} cell where nbgrader makes a {want['cell_type']} cell")
        elif _text(want["source"]) != _text(got["source"]):
            found.append(f"{name}: its source differs")
        elif want.get("metadata", {}).get("nbgrader") != got.get("metadata", {}).get("nbgrader"):
            found.append(f"{name}: its nbgrader metadata differs")
    return found


def stale_editions() -> list[str]:
    """Each student edition that is missing or differs from what nbgrader makes of its source now (empty if current)."""
    with tempfile.TemporaryDirectory() as tmp:
        return edition_differences(generate_editions(Path(tmp)), student_editions())


def edition_differences(fresh: dict[str, Path], editions: Path) -> list[str]:
    """How the editions under ``editions`` (``<assignment>/<assignment>.ipynb``) differ from ``fresh`` ones."""
    found = []
    for assignment, made in fresh.items():
        committed = editions / assignment / made.name
        if not committed.is_file():
            found.append(f"{assignment}: no student edition")
            continue
        found += [f"{assignment}: {d}" for d in notebook_differences(_load(made), _load(committed))]
    extra = sorted({p.name for p in editions.iterdir() if p.is_dir()} - set(fresh))
    return found + [f"{name}: a student edition without a source" for name in extra]


def write_editions() -> list[Path]:
    """Make every student edition again from its source, as nbgrader writes it."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for assignment, made in generate_editions(Path(tmp)).items():
            target = student_edition(assignment)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(made, target)
            written.append(target.resolve())  # in a checkout: the repository's exercises/student/, not the link
    return written


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source
