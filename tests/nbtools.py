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


# --- A real nbgrader course in a temporary folder (shared by the nbgrader test modules) ---------


def run_nbgrader(cwd: Path, *args: str, timeout: int = 1200):
    """Run the venv's nbgrader in ``cwd``; its bin goes first on PATH (nbgrader calls alembic from PATH)."""
    import os
    import subprocess
    import sys

    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run(
        [str(bindir / "nbgrader"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def new_course(root: Path, assignment: str) -> dict:
    """A course using the real nbgrader_config.py, with ``assignment`` released; returns the release."""
    import shutil

    shutil.copy(REPO / "autograder" / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "course").mkdir()
    (root / "course" / "source").symlink_to(EXERCISES)
    run = run_nbgrader(root, "generate_assignment", assignment, "--force")
    assert run.returncode == 0, run.stderr
    return load(root / "course" / "release" / assignment / f"{assignment}.ipynb")


def autograde_cohort(root: Path, assignment: str, cohort: dict[str, dict]) -> dict[str, str]:
    """Submit each trainee's notebook, run `nbgrader autograde`, and return the submissions' hashes."""
    hashes = {}
    for student, nb in cohort.items():
        path = root / "course" / "submitted" / student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb, indent=1))
        hashes[student] = sha256(path)
    run = run_nbgrader(root, "autograde", assignment, "--force")
    assert run.returncode == 0, run.stderr[-3000:]
    return hashes


def gradebook(root: Path):
    """nbgrader's gradebook of the course in ``root`` (use as a context manager)."""
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'course' / 'gradebook.db'}")


def notebook_scores(root: Path, assignment: str, student: str) -> dict[str, float]:
    """Each graded cell's score for one student, read from nbgrader's gradebook."""
    with gradebook(root) as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: g.score for g in nb.grades}


def graded_outputs(root: Path, assignment: str, student: str, qid: str) -> str:
    """The outputs of one graded cell in a student's autograded notebook, as JSON text."""
    nb = load(root / "course" / "autograded" / student / assignment / f"{assignment}.ipynb")
    for cell in nb["cells"]:
        if nbgrader_meta(cell).get("grade_id") == qid:
            return json.dumps(cell.get("outputs", []), ensure_ascii=False)
    raise AssertionError(f"no cell {qid}")
