"""Reports on every trainee the course knows: grades.csv, one feedback page per graded trainee, the cohort report.

The cohort report is one self-contained HTML file with no script and nothing fetched from the network: the
roster to act on, the mistakes made in words with the section to revisit, the tasks ranked by points lost,
and the score distribution. Bars are plain HTML and inline SVG, so thirty trainees come to a few dozen KB.
"""

from __future__ import annotations

import html
import math
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

from csm_academy.grading.records import GradeRecord, Status
from csm_academy.grading.roster import Handed, RosterEntry
from csm_academy.lessons.registry import lesson_for
from csm_academy.questions.question import Question

_MARK = {"correct": "✓", "incorrect": "✗", "not attempted": "…"}
_COLOUR = {"correct": "#1a7f37", "incorrect": "#b42318", "not attempted": "#6b5900"}

#: Words for the mistakes any question can record (see ``Question.judge``); a lesson's own come from its catalogue.
GENERIC_MISCONCEPTIONS = {
    "not_a_function": "Set a fixed value where a function was asked for, so the answer could not be run on other "
    "books of accounts.",
    "borrowed_reference": "Called the course's own code instead of writing the calculation.",
    "raised_error": "The function stopped with an error (on the trainee's book or on a book they had not seen).",
    "returned_none": "The function returned nothing: a missing `return` statement.",
    "wrong_shape": "The result had the wrong shape or type (for example a single number where a table was asked for).",
    "unreadable": "The answer could not be read back from the notebook.",
}


def _ordered(entries: Sequence[RosterEntry]) -> list[RosterEntry]:
    return sorted(entries, key=lambda e: (e.trainee, e.notebook))


def _scores(record: GradeRecord | None, questions: Sequence[Question]) -> dict[str, float] | None:
    """Points per question, or None when there is no score at all (no record, or one that could not be graded)."""
    if record is None or not record.scored:
        return None
    by_q = {q.qid: q.points for q in record.questions}
    # A scored run that never judged a question (it stopped first) scores zero for it.
    return {q.qid: by_q.get(q.qid, 0.0) for q in questions}


def grades_table(entries: Sequence[RosterEntry], assignment: str) -> pd.DataFrame:
    """One row per roster entry: status, where the file was, each question's points; no score is empty, never 0."""
    questions = lesson_for(assignment).questions
    columns = ["trainee", "assignment", "status", "detail", "found_as", "known_from"]
    columns += [q.qid for q in questions] + ["total", "max_total", "misconceptions"]
    rows = []
    for e in _ordered(entries):
        scores = _scores(e.record, questions)
        row = {
            "trainee": e.trainee,
            "assignment": assignment,
            "status": e.status,
            "detail": e.detail,
            "found_as": e.found_as,
            "known_from": "; ".join(k.value for k in e.known_from),
        }
        row.update({q.qid: None if scores is None else scores[q.qid] for q in questions})
        row["total"] = None if scores is None else sum(scores.values())
        row["max_total"] = sum(q.points for q in questions)
        row["misconceptions"] = ";".join(e.record.misconceptions) if e.record is not None else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def feedback_page(record: GradeRecord, assignment: str) -> str:
    """A trainee's feedback in words: per question, the outcome, the points and what to fix."""
    title = f"Feedback: {html.escape(record.trainee)}, {html.escape(assignment)}"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>",
        "<body style='font-family:sans-serif;max-width:860px;margin:2em auto;line-height:1.45'>",
        f"<h1>{title}</h1>",
    ]
    if record.found_as:
        parts.append(
            f"<p class='found-as'><strong>Graded from the file <code>{html.escape(record.found_as)}</code></strong>"
            f", which is not the name it was released under. The released name is "
            f"<code>{html.escape(record.notebook)}</code>: next time, hand it in under that name.</p>"
        )
    if not record.scored:
        parts.append(
            f"<p><strong>This submission could not be graded</strong> ({html.escape(record.status.value)}): "
            f"{html.escape(record.detail)}. Until a notebook that can be graded is handed in, the gradebook holds "
            "zero points for it, flagged for your instructor, who sees it in the cohort report.</p>"
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


# --- what the cohort report shows, as typed records ---------------------------------------------------------


@dataclass(frozen=True)
class MisconceptionHit:
    """One known mistake seen on one question: its words, who made it, and the section to revisit."""

    misconception: str  # the id grades.csv lists
    words: str
    qid: str
    question: str  # the question's title
    trainees: tuple[str, ...]
    revisit: str  # 'course/<assignment>.ipynb, section "<heading>"', or "" when the question names none


@dataclass(frozen=True)
class TaskLoss:
    """One task across the graded trainees: the points lost in all, and how many got it fully right."""

    qid: str
    title: str
    points_lost: float
    right: int
    graded: int

    @property
    def share_right(self) -> float:
        """The share of graded trainees with full marks on this task."""
        return self.right / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class ScoreBin:
    """How many graded trainees have a total from ``low`` to ``high`` points (whole points, both included)."""

    low: int
    high: int
    trainees: int

    @property
    def label(self) -> str:
        """The bin as an axis label: "7", or "10–11" for a wider bin."""
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


def revisit_of(question: Question, assignment: str) -> str:
    """Where the teaching notebook teaches ``question``, as the report shows it ("" when it names no section)."""
    return f'course/{assignment}.ipynb, section "{question.revisit}"' if question.revisit else ""


def misconception_words(misconception: str, assignment: str) -> str:
    """What a mistake id means, in words: the lesson's catalogue first, then the mistakes any question records."""
    catalogue = lesson_for(assignment).misconceptions
    if misconception in catalogue:
        return catalogue[misconception].message
    return GENERIC_MISCONCEPTIONS.get(misconception, f"A mistake the course has no words for yet ({misconception}).")


def _graded(entries: Sequence[RosterEntry]) -> list[GradeRecord]:
    return [e.record for e in _ordered(entries) if e.record is not None and e.record.scored]


def misconception_hits(entries: Sequence[RosterEntry], assignment: str) -> list[MisconceptionHit]:
    """Every mistake seen, per question, most trainees first (then in question order)."""
    lesson = lesson_for(assignment)
    order = {qid: i for i, qid in enumerate(lesson.qids)}
    who: dict[tuple[str, str], list[str]] = {}
    titles: dict[str, str] = {}
    for record in _graded(entries):
        for q in record.questions:
            if q.misconception:
                trainees = who.setdefault((q.qid, q.misconception), [])
                if record.trainee not in trainees:
                    trainees.append(record.trainee)
                titles.setdefault(q.qid, q.title)
    hits = []
    for (qid, misconception), trainees in who.items():
        question = lesson.question(qid) if qid in order else None
        hits.append(
            MisconceptionHit(
                misconception,
                misconception_words(misconception, assignment),
                qid,
                question.title if question is not None else titles[qid],
                tuple(sorted(trainees)),
                revisit_of(question, assignment) if question is not None else "",
            )
        )
    return sorted(hits, key=lambda h: (-len(h.trainees), order.get(h.qid, len(order)), h.words))


def tasks_by_points_lost(entries: Sequence[RosterEntry], assignment: str) -> list[TaskLoss]:
    """Each task over the graded trainees, the most points lost first (then in question order)."""
    questions = lesson_for(assignment).questions
    scores = [_scores(r, questions) for r in _graded(entries)]
    losses = [
        TaskLoss(
            q.qid,
            q.title,
            sum(q.points - s[q.qid] for s in scores if s is not None),
            sum(1 for s in scores if s is not None and s[q.qid] >= q.points),
            len(scores),
        )
        for q in questions
    ]
    order = {q.qid: i for i, q in enumerate(questions)}
    return sorted(losses, key=lambda t: (-t.points_lost, order[t.qid]))


def score_distribution(entries: Sequence[RosterEntry], assignment: str) -> list[ScoreBin]:
    """Graded trainees per band of total points, from 0 to the lesson's total (about 20 bands at most)."""
    questions = lesson_for(assignment).questions
    top = math.floor(sum(q.points for q in questions))
    width = max(1, math.ceil((top + 1) / 20))
    counts = [0] * (top // width + 1)
    for record in _graded(entries):
        scores = _scores(record, questions)
        total = sum(scores.values()) if scores is not None else 0.0
        counts[min(max(math.floor(total), 0), top) // width] += 1
    return [ScoreBin(i * width, min(i * width + width - 1, top), n) for i, n in enumerate(counts)]


# --- the cohort page --------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;
color:#1f2328;line-height:1.4}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.summary{font-size:1.1em}.muted{color:#59636e;font-size:.9em}
table{border-collapse:collapse;margin:.4em 0 1em}table.roster,table.misconceptions{width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.ungraded td{background:#fdecea}tr.note td{background:#fff6d6}
.badge{display:inline-block;font-size:.8em;padding:0 6px;border-radius:8px;margin-left:4px;color:#fff}
.ungraded .badge{background:#b42318}.note .badge{background:#9a6700}
.full{color:#1a7f37}.part{color:#9a6700;font-weight:600}.zero{color:#b42318;font-weight:600}
.bar{display:inline-block;height:12px;vertical-align:middle;margin-right:6px}
.lost{background:#c62828}.right{background:#2e7d32}.hits{background:#1565c0}
.key span{margin-right:1.2em;white-space:nowrap}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _short(question: Question, index: int) -> str:
    """A short column header, "Q1", from a title such as "Q1 Net revenue retention"."""
    head = question.title.split(" ", 1)[0]
    return head if head[:1] == "Q" and head[1:].isdigit() else f"Q{index + 1}"


class Standing(StrEnum):
    """How a roster row stands for the instructor (the values are the row's CSS class)."""

    CLEAN = "clean"  # graded with nothing to check
    NOTE = "note"  # scored, with something to check: stopped, cells put back, a renamed file
    UNGRADED = "ungraded"  # no score: nothing handed in, or nothing that could be graded

    @classmethod
    def of(cls, entry: RosterEntry) -> Standing:
        """How ``entry`` stands."""
        record = entry.record
        if record is None or not record.scored:
            return cls.UNGRADED
        return cls.CLEAN if record.status is Status.GRADED and not record.found_as else cls.NOTE


def _bar(width_px: float, kind: str) -> str:
    return f"<span class='bar {kind}' style='width:{width_px:.0f}px'></span>"


def _summary(entries: Sequence[RosterEntry]) -> str:
    def trainees(keep: Callable[[RosterEntry], bool]) -> int:
        return len({e.trainee for e in entries if keep(e)})

    known = trainees(lambda e: True)
    graded = trainees(lambda e: Standing.of(e) is not Standing.UNGRADED)
    missing = trainees(lambda e: e.record is None and e.handin.handed is Handed.NOT_SUBMITTED)
    other = trainees(lambda e: Standing.of(e) is Standing.UNGRADED) - missing
    attention = trainees(lambda e: Standing.of(e) is not Standing.CLEAN)
    parts = [f"{graded} graded", f"{missing} not submitted"]
    if other:
        parts.append(f"{other} handed in but not graded")
    return (
        f"<p class='summary'><strong>{known} trainees known</strong>: {', '.join(parts)}; "
        f"<strong>{attention} need your attention</strong> (highlighted in the roster).</p>"
    )


def _roster(entries: Sequence[RosterEntry], questions: Sequence[Question]) -> str:
    heads = "".join(f"<th class='num' title='{_e(q.title)}'>{_e(_short(q, i))}</th>" for i, q in enumerate(questions))
    rows = []
    for e in _ordered(entries):
        standing = Standing.of(e)
        name = _e(e.trainee)
        if e.record is not None:  # a feedback page is written for every entry with a record
            href = _e(urllib.parse.quote(f"{e.trainee}.html", safe=""))
            name = f"<a href='feedback/{href}'>{name}</a>"
        known = _e("known from: " + ", ".join(k.value for k in e.known_from))
        badge = {Standing.UNGRADED: "no score", Standing.NOTE: "check"}.get(standing, "")
        status = _e(e.status) + (f"<span class='badge'>{badge}</span>" if badge else "")
        scores = _scores(e.record, questions)
        by_q = {r.qid: r for r in e.record.questions} if e.record is not None else {}
        cells = []
        for q in questions:
            if scores is None:
                cells.append("<td class='num muted'>—</td>")
                continue
            got = scores[q.qid]
            kind = "full" if got >= q.points else "zero" if got <= 0 else "part"
            why = f" title='{_e(by_q[q.qid].message)}'" if kind != "full" and q.qid in by_q else ""
            cells.append(f"<td class='num {kind}'{why}>{got:g}/{q.points:g}</td>")
        total = "—" if scores is None else f"{sum(scores.values()):g}/{sum(q.points for q in questions):g}"
        rows.append(
            f"<tr class='{standing}'><td title='{known}'>{name}</td><td>{status}</td>{''.join(cells)}"
            f"<td class='num'><strong>{total}</strong></td><td>{_e(e.detail)}</td></tr>"
        )
    key = " ".join(  # spaces between the spans: where the line may wrap
        f"<span><strong>{_e(_short(q, i))}</strong> {_e(q.title.split(' ', 1)[-1])} ({q.points:g} pts)</span>"
        for i, q in enumerate(questions)
    )
    return (
        "<h2 id='roster'>Roster: every trainee the course knows</h2>"
        "<p class='muted'>Red rows have no score; amber rows were scored, with something to check in the detail. "
        "Marks are points / points available; a trainee's name links to their feedback page.</p>"
        "<table class='roster'><thead><tr><th>Trainee</th><th>Status</th>"
        f"{heads}<th class='num'>Total</th><th>Detail</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p class='key muted'>{key}</p>"
    )


def _misconceptions(hits: Sequence[MisconceptionHit], graded: int) -> str:
    head = f"<h2 id='misconceptions'>Mistakes the cohort made, in words ({len(hits)})</h2>"
    if not hits:
        return head + "<p>No known mistake was recognised in the graded answers.</p>"
    rows = "".join(
        f"<tr><td>{_e(h.words)}</td><td>{_e(h.question)}</td>"
        f"<td class='num'>{_bar(160 * len(h.trainees) / max(graded, 1), 'hits')}{len(h.trainees)}</td>"
        f"<td>{_e(', '.join(h.trainees))}</td><td>{_e(h.revisit) or '—'}</td></tr>"
        for h in hits
    )
    return (
        head + "<p class='muted'>Most trainees first. Each mistake is what the answer showed on that question; "
        "the last column is the teaching notebook's section to go over again.</p>"
        "<table class='misconceptions'><thead><tr><th>Mistake</th><th>Seen on</th>"
        f"<th class='num'>Trainees (of {graded} graded)</th><th>Who</th><th>Revisit</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _tasks(losses: Sequence[TaskLoss]) -> str:
    graded = losses[0].graded if losses else 0
    head = f"<h2 id='tasks'>Tasks ranked by points lost ({graded} graded trainees)</h2>"
    if not graded:
        return head + "<p>No graded submissions yet.</p>"
    most = max((t.points_lost for t in losses), default=0) or 1
    rows = "".join(
        f"<tr><td class='num'>{rank}</td><td>{_e(t.title)}</td>"
        f"<td class='num'>{_bar(200 * t.points_lost / most, 'lost')}{t.points_lost:g}</td>"
        f"<td class='num'>{_bar(120 * t.share_right, 'right')}{t.right} of {t.graded} ({t.share_right:.0%})</td></tr>"
        for rank, t in enumerate(losses, start=1)
    )
    return (
        head + "<table class='tasks'><thead><tr><th class='num'>Rank</th><th>Task</th>"
        "<th class='num'>Points lost (all graded trainees)</th><th class='num'>Got it fully right</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _tick_step(most: int) -> int:
    """An integer step between y ticks that gives at most six ticks above zero."""
    for magnitude in (1, 10, 100, 1000):
        for step in (1, 2, 5):
            if most <= 6 * step * magnitude:
                return step * magnitude
    return 10_000


def _histogram(bins: Sequence[ScoreBin], out_of: float) -> str:
    head = "<h2 id='distribution'>Score distribution (graded trainees)</h2>"
    if not any(b.trainees for b in bins):
        return head + "<p>No graded submissions yet.</p>"
    width, height, left, right, top, bottom = 760, 300, 56, 12, 14, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    step = _tick_step(max(b.trainees for b in bins))
    y_max = math.ceil(max(b.trainees for b in bins) / step) * step
    slot = plot_w / len(bins)

    def y(count: float) -> float:
        return top + plot_h * (1 - count / y_max)

    parts = [
        f"<svg width='{width}' height='{height}' role='img' "
        "aria-labelledby='distribution-title' font-family='sans-serif' font-size='12'>",
        "<title id='distribution-title'>Graded trainees per total score</title>",
    ]
    for tick in range(0, y_max + 1, step):
        parts.append(
            f"<line x1='{left}' x2='{width - right}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' stroke='#e5e7eb'/>"
            f"<text x='{left - 6}' y='{y(tick) + 4:.1f}' text-anchor='end' class='ytick'>{tick}</text>"
        )
    for i, b in enumerate(bins):
        x = left + i * slot
        if b.trainees:
            parts.append(
                f"<rect x='{x + slot * 0.12:.1f}' y='{y(b.trainees):.1f}' width='{slot * 0.76:.1f}' "
                f"height='{plot_h * b.trainees / y_max:.1f}' fill='#1565c0'><title>{_e(b.label)} points: "
                f"{b.trainees} trainee{'s' if b.trainees != 1 else ''}</title></rect>"
                f"<text x='{x + slot / 2:.1f}' y='{y(b.trainees) - 4:.1f}' text-anchor='middle'>{b.trainees}</text>"
            )
        parts.append(
            f"<text x='{x + slot / 2:.1f}' y='{top + plot_h + 16}' text-anchor='middle' class='xtick'>"
            f"{_e(b.label)}</text>"
        )
    parts += [
        f"<line x1='{left}' x2='{width - right}' y1='{top + plot_h}' y2='{top + plot_h}' stroke='#57606a'/>",
        f"<line x1='{left}' x2='{left}' y1='{top}' y2='{top + plot_h}' stroke='#57606a'/>",
        f"<text x='{left + plot_w / 2:.0f}' y='{height - 10}' text-anchor='middle' font-weight='600' "
        f"class='xtitle'>Total points (out of {out_of:g})</text>",
        f"<text transform='translate(16 {top + plot_h / 2:.0f}) rotate(-90)' text-anchor='middle' "
        "font-weight='600' class='ytitle'>Trainees</text>",
        "</svg>",
    ]
    return head + "".join(parts)


def cohort_page(entries: Sequence[RosterEntry], assignment: str) -> str:
    """The instructor's cohort report: one self-contained HTML page, no script, nothing fetched."""
    lesson = lesson_for(assignment)
    losses = tasks_by_points_lost(entries, assignment)
    graded = len(_graded(entries))
    title = f"Cohort report: {_e(assignment)}"
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{title}</h1>{_summary(entries)}"
        + _roster(entries, lesson.questions)
        + _misconceptions(misconception_hits(entries, assignment), graded)
        + _tasks(losses)
        + _histogram(score_distribution(entries, assignment), lesson.points)
        + "</body></html>"
    )


def write_reports(entries: Sequence[RosterEntry], assignment: str, folder: Path) -> dict[str, Path]:
    """Write grades.csv, feedback/<trainee>.html for each entry with a record, and cohort.html into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {"grades": folder / "grades.csv", "cohort": folder / "cohort.html"}
    grades_table(entries, assignment).to_csv(out["grades"], index=False)
    (folder / "feedback").mkdir(exist_ok=True)
    for e in entries:
        if e.record is not None:
            page = feedback_page(e.record, assignment)
            (folder / "feedback" / f"{e.trainee}.html").write_text(page, encoding="utf-8")
    out["cohort"].write_text(cohort_page(entries, assignment), encoding="utf-8")
    return out
