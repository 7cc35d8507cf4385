"""Reports from a grading run: grades.csv, one feedback page per trainee, one cohort page with charts."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from csm_academy.grading.records import GradeRecord, Status
from csm_academy.lessons.registry import lesson_for

_MARK = {"correct": "✓", "incorrect": "✗", "not attempted": "…"}
_COLOUR = {"correct": "#1a7f37", "incorrect": "#b42318", "not attempted": "#6b5900"}
_SCORED = [s.value for s in Status if s.scored]  # the status column of the grades table holds plain text


def grades_table(records: Sequence[GradeRecord], assignment: str) -> pd.DataFrame:
    """One row per trainee: status, each question's points, total; unscored runs show no scores, never zeros."""
    questions = lesson_for(assignment).questions
    rows = []
    for r in sorted(records, key=lambda r: (r.trainee, r.notebook)):
        by_q = {q.qid: q for q in r.questions}
        row = {"trainee": r.trainee, "assignment": assignment, "status": r.status.value, "detail": r.detail}
        for q in questions:
            # A scored run that never judged a question (it stopped first) scores zero for it.
            row[q.qid] = (by_q[q.qid].points if q.qid in by_q else 0.0) if r.scored else None
        row["total"] = sum(row[q.qid] for q in questions) if r.scored else None
        row["max_total"] = sum(q.points for q in questions)
        row["misconceptions"] = ";".join(r.misconceptions)
        rows.append(row)
    return pd.DataFrame(rows)


def feedback_page(record: GradeRecord, assignment: str) -> str:
    """A trainee's feedback in words: per question, the outcome, the points and what to fix."""
    title = f"Feedback: {html.escape(record.trainee)}, {html.escape(assignment)}"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>",
        "<body style='font-family:sans-serif;max-width:860px;margin:2em auto;line-height:1.45'>",
        f"<h1>{title}</h1>",
    ]
    if not record.scored:
        parts.append(
            f"<p><strong>This submission could not be graded</strong> ({html.escape(record.status.value)}): "
            f"{html.escape(record.detail)}. It is listed in your instructor's cohort report; "
            "this is not a score of zero.</p>"
        )
    else:
        parts.append(
            f"<p><strong>Automatically graded: {record.points:g} of {record.max_points:g} points.</strong></p>"
        )
        if record.status.stopped:
            parts.append(
                f"<p><strong>Grading stopped early</strong> ({html.escape(record.status.value)}): "
                f"{html.escape(record.detail)}. The tasks it did not reach score zero.</p>"
            )
        if record.status is Status.TASK_TIMED_OUT:
            parts.append(
                f"<p><strong>A task ran too long</strong> ({html.escape(record.detail)}). That task scores zero; "
                "its note below says what happened.</p>"
            )
        if record.status is Status.TAMPERED:
            parts.append(
                "<p>Some locked cells had been changed or deleted; they were put back as released before grading "
                f"({html.escape(record.detail)}).</p>"
            )
        for q in record.questions:
            outcome = q.outcome.value
            colour = _COLOUR.get(outcome, "#333")
            parts.append(
                f"<div style='border-left:4px solid {colour};padding:6px 12px;margin:10px 0'>"
                f"<strong>{_MARK.get(outcome, '')} {html.escape(q.title)}</strong>: "
                f"{q.points:g} / {q.max_points:g}<br>{html.escape(q.message)}</div>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def cohort_figures(table: pd.DataFrame, records: Sequence[GradeRecord], assignment: str) -> list[go.Figure]:
    """Score distribution, success rate per question, misconceptions hit, and submission statuses."""
    questions = lesson_for(assignment).questions
    scored = table[table["status"].isin(_SCORED)]
    figs = []
    hist = go.Figure(go.Histogram(x=scored["total"], nbinsx=int(table["max_total"].max()) + 1, marker_color="#1565c0"))
    hist.update_layout(
        title="Score distribution (graded submissions)", xaxis_title="Total points", yaxis_title="Trainees"
    )
    figs.append(hist)
    rates = [float((scored[q.qid] == q.points).mean()) if len(scored) else 0.0 for q in questions]
    bar = go.Figure(go.Bar(x=[q.title for q in questions], y=rates, marker_color="#2e7d32"))
    bar.update_layout(
        title="Share of trainees who got each question right",
        xaxis_title="Question",
        yaxis_title="Share correct",
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )
    figs.append(bar)
    hits = Counter(m for r in records for m in r.misconceptions)
    names = [m for m, _ in hits.most_common()]
    mis = go.Figure(go.Bar(x=[hits[m] for m in names], y=names, orientation="h", marker_color="#c62828"))
    mis.update_layout(
        title="Which mistakes the cohort made (trainees per misconception)",
        xaxis_title="Trainees",
        yaxis_title="Misconception",
        yaxis={"autorange": "reversed"},
        height=max(360, 28 * len(names) + 120),
    )
    figs.append(mis)
    counts = table["status"].value_counts()
    status = go.Figure(go.Bar(x=list(counts.index), y=list(counts.values), marker_color="#607d8b"))
    status.update_layout(title="Submissions by grading status", xaxis_title="Status", yaxis_title="Submissions")
    figs.append(status)
    for fig in figs:
        fig.update_layout(template="plotly_white")
    return figs


def cohort_page(table: pd.DataFrame, records: Sequence[GradeRecord], assignment: str) -> str:
    """The instructor's cohort report (self-contained HTML with plotly charts)."""
    figs = cohort_figures(table, records, assignment)
    body = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_width="100%") for i, fig in enumerate(figs)]
    scored = int(table["status"].isin(_SCORED).sum())
    # Everything but a clean run: stopped early, cells put back, or no score at all, with why and where.
    attention = table[table["status"] != Status.GRADED.value]
    rows = "".join(
        f"<tr><td>{html.escape(r.trainee)}</td><td>{html.escape(r.status)}</td><td>{html.escape(str(r.detail))}</td>"
        f"<td>{'' if pd.isna(r.total) else f'{r.total:g}'}</td></tr>"
        for r in attention.itertuples()
    )
    attention_table = (
        f"<h2>Needs your attention ({len(attention)})</h2><table border='1' cellpadding='4'>"
        f"<tr><th>trainee</th><th>status</th><th>why</th><th>score</th></tr>{rows}</table>"
        if len(attention)
        else ""
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Cohort report: {html.escape(assignment)}</title>"
        "</head><body style='font-family:sans-serif;max-width:1000px;margin:2em auto'>"
        f"<h1>Cohort report: {html.escape(assignment)}</h1>"
        f"<p>{len(table)} submissions: {scored} scored, {len(table) - scored} not graded.</p>"
        + "".join(body)
        + attention_table
        + "</body></html>"
    )


def write_reports(records: Sequence[GradeRecord], assignment: str, folder: Path) -> dict[str, Path]:
    """Write grades.csv, feedback/<trainee>.html and cohort.html into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    table = grades_table(records, assignment)
    out = {"grades": folder / "grades.csv", "cohort": folder / "cohort.html"}
    table.to_csv(out["grades"], index=False)
    (folder / "feedback").mkdir(exist_ok=True)
    for r in records:
        (folder / "feedback" / f"{r.trainee}.html").write_text(feedback_page(r, assignment), encoding="utf-8")
    out["cohort"].write_text(cohort_page(table, records, assignment), encoding="utf-8")
    return out
