"""Reading a submission safely, checking it against the release, and restoring the instructor's cells."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from csm_academy.grading.checksum import compute_checksum

MAX_NOTEBOOK_BYTES = 10 * 1024 * 1024


class Unreadable(ValueError):
    """The submission cannot be graded at all; the message says why, in one line."""


@dataclass
class Checked:
    """A submission ready to run: the notebook to execute, its hash, and what looked wrong."""

    notebook: nbformat.NotebookNode
    sha256: str
    problems: list[str] = field(default_factory=list)  # edited locked cells, changed ids, ...


def sha256_of(path: Path) -> str:
    """Hash of a file's bytes (raw submissions are never modified; this proves it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str:
    """The cell's nbgrader grade id, or "" for a cell nbgrader does not track."""
    return _meta(cell).get("grade_id") or ""


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode, str]:
    """Parse and validate a notebook file, or raise ``Unreadable`` with the reason."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot open the file ({exc.strerror})") from None
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise Unreadable(
            f"the notebook is {len(raw) // 2**20} MB, more than the {MAX_NOTEBOOK_BYTES // 2**20} MB limit"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unreadable("the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise Unreadable(f"the file is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or "cells" not in data:
        raise Unreadable("the file is JSON but not a notebook (no cells)")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several types for a broken notebook
        raise Unreadable(f"not a valid notebook ({str(exc).splitlines()[0][:160]})") from None
    return nb, hashlib.sha256(raw).hexdigest()


def check_and_restore(path: Path, source: nbformat.NotebookNode, release: nbformat.NotebookNode) -> Checked:
    """Check a submission against the release, then put the instructor's locked and test cells back."""
    nb, digest = read_notebook(path)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if gid:
            seen[gid] = seen.get(gid, 0) + 1
    duplicated = sorted(g for g, n in seen.items() if n > 1)
    if duplicated:
        raise Unreadable(f"cell {duplicated[0]!r} appears {seen[duplicated[0]]} times")
    release_cells = {_meta(c)["grade_id"]: c for c in release.cells if _meta(c).get("grade_id")}
    missing = [g for g in release_cells if g not in seen]
    if missing:
        # Deleting a test cell never avoids a low score: the release's cell goes back where it was, so
        # its task is graded (an answer cell comes back blank, and scores nothing).
        nb = _put_back(nb, release, missing)
        problems.append(
            f"cell {missing[0]!r} was deleted"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; the release's cells were put back"
        )
    submitted = {_meta(c)["grade_id"]: c for c in nb.cells if _meta(c).get("grade_id")}
    for gid, rel in release_cells.items():
        if gid in missing:
            continue
        sub = submitted[gid]
        rel_meta, sub_meta = _meta(rel), _meta(sub)
        if rel.get("id") and sub.get("id") != rel.get("id"):
            problems.append(f"cell {gid!r} has a changed cell id")
        if rel_meta.get("points") != sub_meta.get("points") or rel_meta.get("grade") != sub_meta.get("grade"):
            problems.append(f"cell {gid!r} had its points or grading flags edited")
        elif (rel_meta.get("locked") or rel_meta.get("grade")) and not rel_meta.get("solution"):
            checksum = rel_meta.get("checksum")
            if checksum and compute_checksum(sub) != checksum:
                problems.append(f"locked cell {gid!r} was edited")
    # Run the instructor's version of every locked or test cell (this restores hidden tests), and the
    # trainee's version of everything else, in the trainee's order.
    source_cells = {_meta(c)["grade_id"]: c for c in source.cells if _meta(c).get("grade_id")}
    restored = copy.deepcopy(nb)
    for i, cell in enumerate(restored.cells):
        gid = _meta(cell).get("grade_id")
        src = source_cells.get(gid)
        if src is not None and not _meta(src).get("solution"):
            new = copy.deepcopy(src)
            new["id"] = cell.get("id", new.get("id"))
            if new.cell_type == "code":
                new["outputs"], new["execution_count"] = [], None
            restored.cells[i] = new
        elif cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return Checked(restored, digest, problems)


def _put_back(nb: nbformat.NotebookNode, release: nbformat.NotebookNode, missing: list[str]) -> nbformat.NotebookNode:
    """A copy of ``nb`` with the release's ``missing`` cells put back, each after the release cell before it."""
    out = copy.deepcopy(nb)
    previous: str | None = None
    for cell in release.cells:
        gid = _meta(cell).get("grade_id")
        if not gid:
            continue
        if gid in missing:
            at = 0
            for i, kept in enumerate(out.cells):
                if previous is not None and _meta(kept).get("grade_id") == previous:
                    at = i + 1
            out.cells.insert(at, copy.deepcopy(cell))
        previous = gid
    return out
