"""What a trainee reads of self-study: a submit's result, the progress table, and the progress page."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from csm_academy.content import student_edition
from csm_academy.grading.records import GradeRecord, QuestionResult, Status
from csm_academy.lessons.registry import LESSONS
from csm_academy.questions.feedback import Feedback
from csm_academy.selfstudy.progress import AssignmentProgress, AttemptScore, Progress

NEVER = "not yet"  # said for an assignment with no self-graded attempt


@dataclass(frozen=True)
class Row:
    """One assignment as the progress table and page show it."""

    assignment: str
    title: str
    max_points: float  # the autograded points of the exercise
    record: AssignmentProgress | None  # None before its first attempt


def assignment_title(assignment: str) -> str:
    """The exercise's title: the first heading of its student edition (the assignment id if it has none)."""
    try:
        cells = json.loads(student_edition(assignment).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return assignment
    for cell in cells:
        text = "".join(cell.get("source", "")) if cell.get("cell_type") == "markdown" else ""
        for line in text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return assignment


def rows(progress: Progress) -> list[Row]:
    """Every assignment of the course, in module order, with its self-study record."""
    return [Row(x.assignment, assignment_title(x.assignment), x.points, progress.get(x.assignment)) for x in LESSONS]


def _when(at: datetime) -> str:
    """A time as the trainee's clock shows it, to the minute."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def _score(attempt: AttemptScore) -> str:
    return f"{attempt.points:g} / {attempt.max_points:g}"


def task_line(q: QuestionResult) -> str:
    """One task's result in words: its points, then the same feedback a check shows in the notebook."""
    feedback = Feedback(q.qid, q.title, q.outcome, q.message, q.points, q.max_points, q.misconception, q.hidden)
    return f"{q.points:g}/{q.max_points:g}  {feedback}"


def submit_summary(record: GradeRecord, title: str, entry: AssignmentProgress, written: float) -> list[str]:
    """What ``submit`` prints: the score, each task in words, and the best so far."""
    lines = [f"{record.assignment} ({title}): {record.points:g} / {record.max_points:g} points"]
    if record.status is not Status.GRADED:
        lines.append(f"note: {record.status.value}: {record.detail}")
    lines += [f"  {task_line(q)}" for q in record.questions]
    if written:
        lines.append(
            f"The written answers ({written:g} points) are marked by an instructor: self-study does not count them."
        )
    attempts = "1 attempt" if entry.attempts == 1 else f"{entry.attempts} attempts"
    lines.append(f"Best so far: {_score(entry.best)} ({attempts}).")
    return lines


def progress_table(table: Sequence[Row]) -> str:
    """The progress table as plain text, one assignment a line."""
    header = ("Assignment", "Title", "Best", "Attempts", "Last attempt")
    body = []
    for row in table:
        if row.record is None:
            body.append((row.assignment, row.title, f"- / {row.max_points:g}", "0", NEVER))
        else:
            last = f"{_when(row.record.last.at)} ({_score(row.record.last)})"
            body.append((row.assignment, row.title, _score(row.record.best), str(row.record.attempts), last))
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in (header, *body))


_PAGE_STYLE = (
    "body{font-family:sans-serif;max-width:960px;margin:2em auto;line-height:1.45;color:#222}"
    "table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:bold;margin-bottom:.5em}"
    "th,td{border-bottom:1px solid #ccc;padding:6px 8px;text-align:left;vertical-align:top}"
    "td.num{text-align:right;white-space:nowrap}ul{margin:0;padding-left:1.2em}.done{color:#1a7f37}"
)


def progress_page(table: Sequence[Row], trainee: str, now: datetime) -> str:
    """The progress page: one self-contained HTML page, no script and nothing fetched from the network."""
    title = "Your progress in CSM Academy"
    parts = [
        "<!doctype html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{title}</title><style>{_PAGE_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>Self-graded exercises of {html.escape(trainee)}, as of {_when(now)}. Each score is from the same "
        "automatic grader as your instructor's, on books of accounts you have not seen. Written answers are "
        "marked by an instructor and are not counted here. To grade an exercise again, run "
        "<code>csm-academy submit ASSIGNMENT</code>.</p>",
        "<table><caption>Best score per exercise, with the tasks still missing points in your last attempt</caption>",
        "<thead><tr><th scope='col'>Exercise</th><th scope='col'>Best score</th><th scope='col'>Attempts</th>"
        "<th scope='col'>Last attempt</th><th scope='col'>Tasks still missing points (last attempt)</th></tr></thead>",
        "<tbody>",
    ]
    for row in table:
        name = f"{html.escape(row.title)}<br><code>{html.escape(row.assignment)}</code>"
        if row.record is None:
            cells = [name, f"&ndash; / {row.max_points:g}", "0", NEVER, "Not attempted yet."]
        else:
            last = row.record.last
            link = f"<a href='feedback/{html.escape(row.assignment)}.html'>feedback</a>"
            cells = [
                name,
                _score(row.record.best),
                str(row.record.attempts),
                f"{_when(last.at)}: {_score(last)} ({link})",
                _missing(last),
            ]
        parts.append(
            "<tr>"
            + "".join(f"<td class='num'>{c}</td>" if i in (1, 2) else f"<td>{c}</td>" for i, c in enumerate(cells))
            + "</tr>"
        )
    parts += ["</tbody></table>", "</body></html>"]
    return "\n".join(parts) + "\n"


def _missing(attempt: AttemptScore) -> str:
    """The tasks of an attempt short of full points, each with its points and the feedback's words."""
    missing = attempt.missing
    if not missing:
        return "<span class='done'>None: full marks.</span>"
    items = "".join(
        f"<li><strong>{html.escape(q.title)}</strong> ({q.points:g} / {q.max_points:g}): {html.escape(q.message)}</li>"
        for q in missing
    )
    return f"<ul>{items}</ul>"
