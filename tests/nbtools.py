"""Test support: read exercise notebooks and build trainee-style submissions from them."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXERCISES = REPO / "exercises" / "source"


def load(path: Path) -> dict:
    """The notebook as plain JSON."""
    return json.loads(Path(path).read_text())


def source(cell: dict) -> str:
    """A cell's source as one string."""
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def nbgrader_meta(cell: dict) -> dict:
    """A cell's nbgrader metadata (empty if it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(nb: dict) -> dict[str, dict]:
    """Answer (solution) cells keyed by the question id their grade_id starts with."""
    out = {}
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell["cell_type"] == "code":
            out[meta["grade_id"].removesuffix("-answer")] = cell
    return out


def reference_code(nb: dict) -> dict[str, str]:
    """The reference solution of each answer cell, with nbgrader's markers removed."""
    out = {}
    for qid, cell in answer_cells(nb).items():
        lines = [
            ln for ln in source(cell).splitlines() if "### BEGIN SOLUTION" not in ln and "### END SOLUTION" not in ln
        ]
        out[qid] = "\n".join(lines) + "\n"
    return out


def submission(release: dict, answers: dict[str, str]) -> dict:
    """A copy of the released notebook with the given code typed into the answer cells."""
    nb = json.loads(json.dumps(release))
    for qid, cell in answer_cells(nb).items():
        if qid in answers:
            cell["source"] = answers[qid]
    return nb


def exec_answers(codes: dict[str, str]) -> dict:
    """Run answer-cell code as a notebook would, in one namespace named __main__."""
    ns: dict = {"__name__": "__main__"}
    for code in codes.values():
        exec(compile(code, "<answer cell>", "exec"), ns)
    return ns


def sha256(path: Path) -> str:
    """Hash of a file's bytes."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
