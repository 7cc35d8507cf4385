"""Test support: read exercise notebooks and build trainee-style submissions from them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbgrader.api import Gradebook

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


def run_nbgrader(cwd: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    """Run the venv's nbgrader in ``cwd``; its bin goes first on PATH (nbgrader calls alembic from PATH)."""
    import os
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


#: What `nbgrader submit` writes beside a submission (nbgrader reads it into the gradebook's timestamp).
SUBMITTED_AT = "2026-11-20 09:30:00.000000 UTC"


def submit_cohort(root: Path, assignment: str, cohort: dict[str, dict]) -> dict[str, str]:
    """Put each trainee's notebook where `nbgrader submit` and collect leave it; return the submissions' hashes."""
    hashes = {}
    for student, nb in cohort.items():
        path = root / "course" / "submitted" / student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb, indent=1))
        (path.parent / "timestamp.txt").write_text(SUBMITTED_AT)
        hashes[student] = sha256(path)
    return hashes


def autograde_cohort(root: Path, assignment: str, cohort: dict[str, dict]) -> dict[str, str]:
    """Submit each trainee's notebook, run `nbgrader autograde`, and return the submissions' hashes."""
    hashes = submit_cohort(root, assignment, cohort)
    run = run_nbgrader(root, "autograde", assignment, "--force")
    assert run.returncode == 0, run.stderr[-3000:]
    return hashes


def gradebook(root: Path) -> Gradebook:
    """nbgrader's gradebook of the course in ``root`` (use as a context manager)."""
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'course' / 'gradebook.db'}")


def gradebook_rows(root: Path, assignment: str, student: str) -> dict:
    """Every field nbgrader's gradebook holds for one student's submission, as plain values to compare."""
    with gradebook(root) as gb:
        sub = gb.find_submission(assignment, student)
        return {
            "submission": {
                "timestamp": sub.timestamp,
                "score": sub.score,
                "max_score": sub.max_score,
                "code_score": sub.code_score,
                "written_score": sub.written_score,
                "needs_manual_grade": sub.needs_manual_grade,
                "late_submission_penalty": sub.late_submission_penalty,
                "extension": sub.extension,
            },
            "notebooks": {
                nb.name: {
                    "flagged": nb.flagged,
                    "score": nb.score,
                    "needs_manual_grade": nb.needs_manual_grade,
                    "failed_tests": nb.failed_tests,
                    "grades": {
                        g.name: (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade, g.max_score)
                        for g in nb.grades
                    },
                    "comments": {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments},
                }
                for nb in sub.notebooks
            },
        }


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


# --- Assertions every nbgrader test module makes, written once ---------------------------------------


def assert_only_this_question_lost(scores: dict[str, float], qid: str, points: dict[str, float]) -> None:
    """``qid`` scored 0 and every other graded cell its full points."""
    assert scores[qid] == 0
    assert sum(scores.values()) == sum(points.values()) - points[qid]


def assert_submissions_unchanged(root: Path, assignment: str, hashes: dict[str, str]) -> None:
    """Every raw submission still has the bytes it was submitted with."""
    for student, digest in hashes.items():
        assert sha256(root / "course" / "submitted" / student / assignment / f"{assignment}.ipynb") == digest, student


def assert_validate_both_ways(root: Path, assignment: str) -> None:
    """`nbgrader validate` passes the source with its solutions and fails the release, both ways round."""
    release = str(root / "course" / "release" / assignment / f"{assignment}.ipynb")
    ok = run_nbgrader(root, "validate", str(EXERCISES / assignment / f"{assignment}.ipynb"))
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout[-2000:]
    bad = run_nbgrader(root, "validate", release)
    assert "VALIDATION FAILED" in bad.stdout, bad.stdout[-2000:]
    inverted = run_nbgrader(root, "validate", "--invert", release)
    assert "Success! The notebook does not pass any tests." in inverted.stdout


def assert_written_answer_graded_by_hand(root: Path, assignment: str, written: str, student: str) -> None:
    """A typed written answer waits for an instructor and adds nothing until graded, then counts once."""
    with gradebook(root) as gb:
        grade = gb.find_grade(written, assignment, assignment, student)
        points = grade.max_score
        assert grade.needs_manual_grade and grade.auto_score is None and points > 0
        submission = gb.find_submission(assignment, student)
        assert submission.needs_manual_grade
        auto_total = submission.max_score - points
        # Until an instructor grades it, the written answer adds nothing: the total is the autograded part.
        assert submission.score == auto_total
        # What the formgrader does when an instructor saves a score for the cell.
        grade.manual_score, grade.needs_manual_grade = 2, False
        gb.db.commit()
    with gradebook(root) as gb:
        submission = gb.find_submission(assignment, student)
        assert submission.score == auto_total + 2 and not submission.needs_manual_grade


def assert_unanswered_written_scores_zero(root: Path, assignment: str, written: str, student: str) -> None:
    """A written answer left as released scores 0 at once, without waiting for an instructor."""
    with gradebook(root) as gb:
        grade = gb.find_grade(written, assignment, assignment, student)
        assert grade.auto_score == 0 and not grade.needs_manual_grade


def assert_feedback_in_words(root: Path, assignment: str, student: str, seeds: Iterable[int], says: str) -> None:
    """nbgrader's feedback page names the mistake in words and shows no hidden test, seed or rubric."""
    run = run_nbgrader(root, "generate_feedback", assignment, "--student", student, "--force")
    assert run.returncode == 0, run.stderr[-2000:]
    html = (root / "course" / "feedback" / student / assignment / f"{assignment}.html").read_text()
    assert "grade_hidden" not in html and "HIDDEN TESTS" not in html
    assert not any(str(seed) in html for seed in seeds)
    assert "Rubric for instructors" not in html
    assert says in html


def assert_release_clean(root: Path, assignment: str, seeds: Iterable[int], written: str | None = None) -> None:
    """The release has stubs where solutions were, and no solution, hidden test, seed or rubric."""
    path = root / "course" / "release" / assignment / f"{assignment}.ipynb"
    text = path.read_text()
    assert "BEGIN SOLUTION" not in text and "grade_hidden" not in text
    assert not any(str(seed) in text for seed in seeds)
    assert "Rubric for instructors" not in text and "full-marks reply" not in text
    assert "raise NotImplementedError()" in text
    if written:
        cell = next(c for c in load(path)["cells"] if nbgrader_meta(c).get("grade_id") == written)
        assert source(cell).strip() == "YOUR ANSWER HERE"


def with_written_answer(nb: dict, grade_id: str, text: str) -> dict:
    """A copy of a notebook with ``text`` typed into its written-answer (markdown) cell ``grade_id``."""
    out = json.loads(json.dumps(nb))
    cell = next(c for c in out["cells"] if nbgrader_meta(c).get("grade_id") == grade_id)
    cell["source"] = text
    return out


def misconception_submissions(release: dict, reference: dict[str, str], wrong: dict[str, tuple[str, str]]) -> dict:
    """One submission per known mistake, named ``mis-<id>``: the reference with that one answer replaced."""
    return {f"mis-{mid}": submission(release, {**reference, qid: code}) for mid, (qid, code) in wrong.items()}


def assert_mistake_named(root: Path, assignment: str, mid: str, qid: str, message: str) -> None:
    """The graded cell of submission ``mis-<mid>`` names the mistake in words, without a traceback."""
    out = graded_outputs(root, assignment, f"mis-{mid}", qid)
    assert f"[mistake: {mid}]" in out
    for opening in (message.split(".")[0], message.split(":")[0]):  # its first sentence, its first clause
        assert opening in out, opening
    assert "Traceback" not in out and "grade_hidden" not in out
