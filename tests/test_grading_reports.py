"""Reports from the roster: grades.csv, feedback pages and the cohort report an instructor acts on (no kernels)."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from csm_academy.grading.records import GradeRecord, Job, QuestionResult, Status
from csm_academy.grading.reports import (
    GENERIC_MISCONCEPTIONS,
    cohort_page,
    feedback_page,
    grades_table,
    misconception_hits,
    misconception_words,
    score_distribution,
    tasks_by_points_lost,
    write_reports,
)
from csm_academy.grading.roster import Handed, Handin, Known, RosterEntry
from csm_academy.lessons.registry import LESSONS, lesson_for
from csm_academy.questions.feedback import Outcome
from csm_academy.questions.question import Attempt
from tests import nbtools

A = "01_nrr_math"
NB = f"{A}.ipynb"
QUESTIONS = lesson_for(A).questions
TOTAL = sum(q.points for q in QUESTIONS)
POINTS = {q.qid: q.points for q in QUESTIONS}
RENAMED = f"{A}/{A} (1).ipynb"


def _results(wrong: dict[str, str | None] | None = None, stopped: str = "") -> list[QuestionResult]:
    """Every question right, except those in ``wrong`` (question id -> misconception) and the one ``stopped``."""
    wrong = wrong or {}
    results = []
    for q in QUESTIONS:
        if stopped and q.qid.startswith(stopped):
            message = "Not graded: the notebook stopped before this question ran."
            results.append(QuestionResult(q.qid, q.title, Outcome.NOT_ATTEMPTED, message, 0.0, float(q.points)))
            continue
        results.append(
            QuestionResult(
                q.qid,
                q.title,
                Outcome.INCORRECT if q.qid in wrong else Outcome.CORRECT,
                f"Not quite <{q.qid}>." if q.qid in wrong else "Right.",
                0.0 if q.qid in wrong else float(q.points),
                float(q.points),
                wrong.get(q.qid),
                True,
            )
        )
    return results


def _record(trainee: str, status: Status, detail: str = "", questions=(), found_as: str = "") -> GradeRecord:
    job = Job(trainee, A, NB, found_as)
    return GradeRecord.of(job, status, detail, sha256="0" * 64, questions=questions, seconds=1.0)


def _entry(record: GradeRecord | None, trainee: str = "", handed: Handed = Handed.AS_RELEASED) -> RosterEntry:
    """A roster entry for ``record`` (or for ``trainee`` with no record), known from the list and its folder."""
    trainee = record.trainee if record is not None else trainee
    found_as = record.found_as if record is not None else ""
    if found_as:
        handed = Handed.RENAMED
    known = (Known.LISTED, Known.FOLDER) if handed is not Handed.NOT_SUBMITTED else (Known.LISTED,)
    return RosterEntry(trainee, NB, known, Handin(trainee, NB, handed, found_as), record)


@pytest.fixture
def entries() -> list[RosterEntry]:
    return [
        _entry(_record("eve", Status.TAMPERED, "locked cell 'q2_grr' was edited", _results())),
        _entry(_record("ana", Status.GRADED, questions=_results())),
        _entry(_record("ben", Status.GRADED, questions=_results({"q2_grr": "grr_includes_expansion"}))),
        # A kernel that hung in Q7: what it answered before counts, the task it stopped scores zero.
        _entry(
            _record(
                "cid", Status.TIMED_OUT, "a cell ran longer than 8 s, in Q7 (its answer cell)", _results(stopped="q7")
            )
        ),
        _entry(_record("dee", Status.UNREADABLE, "the file is not valid JSON (line 1: Expecting value)")),
        _entry(None, "fay", Handed.NOT_SUBMITTED),
        _entry(
            _record(
                "gus",
                Status.GRADED,
                questions=_results({"q1_nrr": "nrr_counts_new_logos", "q2_grr": "grr_includes_expansion"}),
                found_as=RENAMED,
            )
        ),
    ]


def _by_trainee(entries: list[RosterEntry]) -> dict[str, RosterEntry]:
    return {e.trainee: e for e in entries}


def _rows(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "grades.csv").open() as fh:
        return {row["trainee"]: row for row in csv.DictReader(fh)}


@dataclass
class _Row:
    kind: str  # the row's class
    heads: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _Page(HTMLParser):
    """A report page read as a browser would: its visible text, and each table's rows by the table's class."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: dict[str, list[_Row]] = {}
        self.text: list[str] = []
        self._table = ""
        self._cell: list[str] = []  # the list the text being read belongs to, a row's cells or its headers
        self._hidden = 0  # inside <style> or <title>
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("style", "title"):
            self._hidden += 1
        elif tag == "table":
            self._table = a.get("class") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append(_Row(a.get("class") or ""))
        elif tag in ("td", "th") and self._table and self.tables[self._table]:
            row = self.tables[self._table][-1]
            (row.cells if tag == "td" else row.heads).append("")
            self._cell = row.cells if tag == "td" else row.heads
        elif tag == "a" and self._table and self.tables[self._table]:
            self.tables[self._table][-1].links.append(a.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._hidden -= 1
        elif tag == "table":
            self._table = ""
        elif tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.text.append(data)
        if self._table and self._cell:
            self._cell[-1] += data

    def rows(self, table: str) -> list[_Row]:
        """The body rows of the table of class ``table`` (the header row has no cells)."""
        return [r for r in self.tables[table] if r.cells]

    def header(self, table: str) -> list[str]:
        """The column headers of the table of class ``table``."""
        return next(r.heads for r in self.tables[table] if r.heads)

    @property
    def words(self) -> str:
        return " ".join("".join(self.text).split())


# --- grades.csv ---------------------------------------------------------------------------------------


def test_grades_csv_has_one_row_per_known_trainee_with_the_known_columns(entries, tmp_path):
    write_reports(entries, A, tmp_path)
    with (tmp_path / "grades.csv").open() as fh:
        header = next(csv.reader(fh))
    assert header == [
        "trainee",
        "assignment",
        "status",
        "detail",
        "found_as",
        "known_from",
        *[q.qid for q in QUESTIONS],
        "total",
        "max_total",
        "misconceptions",
    ]
    rows = _rows(tmp_path)
    assert list(rows) == ["ana", "ben", "cid", "dee", "eve", "fay", "gus"]  # in name order
    assert {t: r["status"] for t, r in rows.items()} == {
        "ana": "graded",
        "ben": "graded",
        "cid": "timed out",
        "dee": "could not be read",
        "eve": "tampered",
        "fay": "not submitted",
        "gus": "graded",
    }
    assert rows["fay"]["known_from"] == "on the trainees list"
    assert rows["ana"]["known_from"] == "on the trainees list; submission folder"


def test_grades_csv_says_which_file_a_renamed_notebook_was_graded_from(entries, tmp_path):
    write_reports(entries, A, tmp_path)
    gus = _rows(tmp_path)["gus"]
    assert (
        gus["found_as"] == RENAMED
        and gus["detail"] == f"graded from {RENAMED!r} (under another file name; released as {NB!r})"
    )
    assert _rows(tmp_path)["ana"]["found_as"] == ""


def test_scored_rows_show_each_question_and_the_total(entries, tmp_path):
    write_reports(entries, A, tmp_path)
    rows = _rows(tmp_path)
    assert float(rows["ana"]["total"]) == TOTAL and float(rows["eve"]["total"]) == TOTAL
    assert float(rows["ben"]["total"]) == TOTAL - POINTS["q2_grr"] and float(rows["ben"]["q2_grr"]) == 0
    assert rows["ben"]["misconceptions"] == "grr_includes_expansion"
    assert all(float(r["max_total"]) == TOTAL for r in rows.values())


@pytest.mark.parametrize("trainee", ["dee", "fay"])
def test_a_trainee_with_no_score_shows_empty_scores_never_zeros(entries, tmp_path, trainee):
    write_reports(entries, A, tmp_path)
    row = _rows(tmp_path)[trainee]
    assert row["total"] == "" and all(row[q.qid] == "" for q in QUESTIONS)
    assert row["misconceptions"] == ""


def test_an_unreadable_file_keeps_its_reason_in_the_detail(entries, tmp_path):
    write_reports(entries, A, tmp_path)
    assert _rows(tmp_path)["dee"]["detail"] == "the file is not valid JSON (line 1: Expecting value)"


def test_a_submission_that_stopped_keeps_what_it_earned_and_scores_zero_for_the_stopped_task(entries, tmp_path):
    write_reports(entries, A, tmp_path)
    row = _rows(tmp_path)["cid"]
    stopped = next(q for q in QUESTIONS if q.qid.startswith("q7"))
    assert float(row[stopped.qid]) == 0 and float(row["total"]) == TOTAL - stopped.points
    assert row["status"] == "timed out" and row["detail"].endswith("in Q7 (its answer cell)")


def test_the_table_holds_plain_status_words():
    table = grades_table([_entry(_record("ana", Status.KERNEL_DIED, "the kernel stopped"))], A)
    assert table.loc[0, "status"] == "kernel died" and type(table.loc[0, "status"]) is str


def test_an_empty_roster_still_writes_the_header():
    assert list(grades_table([], A).columns)[:6] == [
        "trainee",
        "assignment",
        "status",
        "detail",
        "found_as",
        "known_from",
    ]


# --- feedback pages ---------------------------------------------------------------------------------------


def test_a_feedback_page_gives_points_and_words_escaped(entries):
    page = feedback_page(_by_trainee(entries)["ben"].record, A)
    assert f"Automatically graded: {TOTAL - 2:g} of {TOTAL:g} points." in page
    assert "Not quite &lt;q2_grr&gt;." in page and "<q2_grr>" not in page


def test_a_feedback_page_for_an_unreadable_file_says_it_stands_at_zero_flagged_until_graded(entries):
    page = feedback_page(_by_trainee(entries)["dee"].record, A)
    assert "could not be graded</strong> (could not be read): the file is not valid JSON" in page
    assert "the gradebook holds zero points for it, flagged for your instructor" in page
    assert "Automatically graded" not in page


def test_a_feedback_page_for_a_stopped_run_says_where_it_stopped(entries):
    page = feedback_page(_by_trainee(entries)["cid"].record, A)
    assert "Grading stopped early</strong> (timed out): a cell ran longer than 8 s, in Q7 (its answer cell)" in page
    assert f"Automatically graded: {TOTAL - 2:g} of {TOTAL:g} points." in page


def test_a_tampered_submission_is_told_its_cells_were_put_back(entries):
    page = feedback_page(_by_trainee(entries)["eve"].record, A)
    assert "were put back as released before grading (locked cell &#x27;q2_grr&#x27; was edited)" in page


def test_a_feedback_page_for_a_renamed_file_names_the_file_and_the_name_to_use_next_time(entries):
    words = _Page(feedback_page(_by_trainee(entries)["gus"].record, A)).words
    assert f"Graded from the file {RENAMED}, which is not the name it was released under." in words
    assert f"The released name is {NB}: next time, hand it in under that name." in words
    assert "released under" not in feedback_page(_by_trainee(entries)["ana"].record, A)


def test_write_reports_writes_a_feedback_page_for_every_entry_with_a_record_only(entries, tmp_path):
    out = write_reports(entries, A, tmp_path)
    assert out == {"grades": tmp_path / "grades.csv", "cohort": tmp_path / "cohort.html"}
    written = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    assert written == [f"{t}.html" for t in ["ana", "ben", "cid", "dee", "eve", "gus"]]  # not fay: nothing handed in


# --- the cohort report: roster ------------------------------------------------------------------------------


def test_the_summary_line_counts_known_graded_not_submitted_and_attention(entries):
    words = _Page(cohort_page(entries, A)).words
    # ana and ben are clean; cid stopped, eve tampered, gus renamed, dee unreadable, fay missing.
    assert "7 trainees known: 5 graded, 1 not submitted, 1 handed in but not graded; 5 need your attention" in words


def test_the_roster_lists_every_trainee_with_status_marks_and_detail(entries):
    rows = {r.cells[0]: r for r in _Page(cohort_page(entries, A)).rows("roster")}
    assert list(rows) == ["ana", "ben", "cid", "dee", "eve", "fay", "gus"]
    fay, gus, cid = rows["fay"], rows["gus"], rows["cid"]
    assert fay.cells[1].startswith("not submitted") and fay.kind == "ungraded"
    assert fay.cells[2 : 2 + len(QUESTIONS) + 1] == ["—"] * (len(QUESTIONS) + 1)  # no marks and no total, not zeros
    assert gus.cells[1].startswith("graded") and gus.kind == "note"
    assert gus.cells[-1] == f"graded from {RENAMED!r} (under another file name; released as {NB!r})"
    marks = dict(zip([q.qid for q in QUESTIONS], cid.cells[2:], strict=False))
    assert marks["q7_churn_masked_by_expansion"] == "0/2" and marks["q1_nrr"] == "2/2"
    assert cid.cells[2 + len(QUESTIONS)] == f"{TOTAL - 2:g}/{TOTAL:g}"
    assert cid.cells[-1] == "a cell ran longer than 8 s, in Q7 (its answer cell)"
    assert rows["ana"].kind == "clean" and rows["dee"].kind == "ungraded" and rows["eve"].kind == "note"


def test_the_roster_uses_short_task_headers():
    header = _Page(cohort_page([], A)).header("roster")
    assert header == ["Trainee", "Status", *[f"Q{i}" for i in range(1, len(QUESTIONS) + 1)], "Total", "Detail"]


def test_the_feedback_link_is_there_only_for_entries_with_a_record_and_its_page_exists(entries, tmp_path):
    out = write_reports(entries, A, tmp_path)
    rows = {r.cells[0]: r for r in _Page(out["cohort"].read_text()).rows("roster")}
    assert rows["fay"].links == []
    for trainee in ["ana", "ben", "cid", "dee", "eve", "gus"]:
        assert rows[trainee].links == [f"feedback/{trainee}.html"]
        assert (tmp_path / rows[trainee].links[0]).is_file()


def test_a_trainee_name_is_escaped_in_text_and_quoted_in_its_link():
    odd = _entry(_record("o'neil & co", Status.GRADED, questions=_results()))
    page = cohort_page([odd], A)
    assert "o&#x27;neil &amp; co" in page and "o'neil & co" not in page
    assert _Page(page).rows("roster")[0].links == ["feedback/o%27neil%20%26%20co.html"]


# --- the cohort report: mistakes in words ------------------------------------------------------------------


def test_misconceptions_appear_in_words_with_who_made_them_and_the_section_to_revisit(entries):
    page = _Page(cohort_page(entries, A))
    catalogue = lesson_for(A).misconceptions
    rows = page.rows("misconceptions")
    assert [r.cells[0] for r in rows] == [
        catalogue["grr_includes_expansion"].message,  # ben and gus: first
        catalogue["nrr_counts_new_logos"].message,  # gus only
    ]
    grr, nrr = rows
    assert grr.cells[1:] == [
        "Q2 Gross revenue retention",
        "2",
        "ben, gus",
        'course/01_nrr_math.ipynb, section "Worked example: the $5M book"',
    ]
    assert nrr.cells[3] == "gus"
    assert nrr.cells[4] == 'course/01_nrr_math.ipynb, section "Why new logos never enter NRR"'
    assert "grr_includes_expansion" not in page.words and "nrr_counts_new_logos" not in page.words


def test_a_mistake_any_question_can_record_is_shown_in_the_reports_own_words():
    ben = _entry(_record("ben", Status.GRADED, questions=_results({"q3_logo_retention": "returned_none"})))
    (hit,) = misconception_hits([ben], A)
    assert hit.words == GENERIC_MISCONCEPTIONS["returned_none"] and hit.question == "Q3 Logo retention"
    assert hit.revisit == 'course/01_nrr_math.ipynb, section "The three numbers on the real book"'


def test_every_mistake_the_question_engine_records_has_words():
    q = QUESTIONS[0]
    attempts = [Attempt(s) for s in ("not_callable", "borrowed", "error", "none", "something else")]
    attempts.append(Attempt("ok", "a text where a number belongs"))
    # None of these reaches the reference, so no book is needed to judge them.
    recorded = {q.judge(a, book=None).misconception for a in attempts}
    assert recorded == set(GENERIC_MISCONCEPTIONS)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.assignment for lesson in LESSONS])
def test_every_catalogued_mistake_of_a_lesson_has_words(lesson):
    for misconception in lesson.misconceptions:
        assert misconception_words(misconception, lesson.assignment) == lesson.misconceptions[misconception].message


# --- the cohort report: tasks ranked, score distribution ---------------------------------------------------


def test_tasks_are_ranked_by_points_lost_on_a_hand_computed_case():
    wrong_q4 = "segment_table_counts_new_logos"
    entries = [
        _entry(_record("ana", Status.GRADED, questions=_results())),
        _entry(
            _record("ben", Status.GRADED, questions=_results({"q4_retention_by_segment": wrong_q4, "q2_grr": None}))
        ),
        _entry(
            _record("cid", Status.TIMED_OUT, "in Q7", _results({"q4_retention_by_segment": wrong_q4}, stopped="q7"))
        ),
        _entry(_record("dee", Status.UNREADABLE, "not JSON")),  # no score: not counted
        _entry(None, "fay", Handed.NOT_SUBMITTED),  # nothing handed in: not counted
    ]
    ranked = tasks_by_points_lost(entries, A)
    # By hand: Q4 (3 points) lost by ben and cid = 6; Q2 lost by ben = 2; Q7 lost by cid = 2 (Q2 first, in
    # question order); everything else 0, all three right.
    assert [(t.qid, t.points_lost, t.right, t.graded) for t in ranked[:3]] == [
        ("q4_retention_by_segment", 6, 1, 3),
        ("q2_grr", 2, 2, 3),
        ("q7_churn_masked_by_expansion", 2, 2, 3),
    ]
    assert all(t.points_lost == 0 and t.right == 3 for t in ranked[3:])
    assert [t.qid for t in ranked[3:]] == [
        "q1_nrr",
        "q3_logo_retention",
        "q5_bridge_from_mrr",
        "q6_segment_masking_churn",
    ]
    table = _Page(cohort_page(entries, A)).rows("tasks")
    assert [r.cells[1] for r in table[:3]] == [
        "Q4 Retention by segment",
        "Q2 Gross revenue retention",
        "Q7 How much churn does expansion mask?",
    ]
    assert table[0].cells[2:] == ["6", "1 of 3 (33%)"]


def test_the_score_distribution_counts_whole_trainees_on_integer_ticks(entries):
    bins = score_distribution(entries, A)
    assert all(type(b.trainees) is int for b in bins)
    assert sum(b.trainees for b in bins) == 5  # the scored ones: ana, ben, cid, eve, gus
    assert {b.label: b.trainees for b in bins if b.trainees} == {
        f"{TOTAL:g}": 2,
        f"{TOTAL - 2:g}": 2,
        f"{TOTAL - 4:g}": 1,
    }
    ticks = re.findall(r"class='ytick'>([^<]*)<", cohort_page(entries, A))
    assert ticks == ["0", "1", "2"]


def test_a_large_score_range_is_binned_in_whole_points():
    bins = score_distribution([], "02_health_score_calibration")
    assert bins[0].low == 0 and bins[-1].high == int(lesson_for("02_health_score_calibration").points)
    assert all(b.low <= b.high and type(b.low) is int for b in bins)


# --- the cohort report: self-contained and small ------------------------------------------------------------


def _cohort_of(n: int) -> list[RosterEntry]:
    """``n`` trainees with every kind of line: clean, wrong with mistakes, stopped, renamed, unreadable, missing."""
    out = []
    mistakes = ["nrr_counts_new_logos", "grr_includes_expansion", "raised_error", "logo_retention_from_dollars"]
    for i in range(n):
        name = f"trainee-{i:02d}"
        kind = i % 6
        if kind == 5:
            out.append(_entry(None, name, Handed.NOT_SUBMITTED))
        elif kind == 4:
            out.append(_entry(_record(name, Status.UNREADABLE, "the file is not valid JSON (line 1: Expecting value)")))
        else:
            wrong = {
                QUESTIONS[(i + j) % len(QUESTIONS)].qid: mistakes[(i + j) % len(mistakes)] for j in range(kind + 1)
            }
            status = Status.TIMED_OUT if kind == 3 else Status.GRADED
            detail = "a cell ran longer than 30 s, in Q6 Which segment's NRR hides logo churn? (its checks)" * (
                kind == 3
            )
            out.append(_entry(_record(name, status, detail, _results(wrong), found_as=RENAMED * (kind == 2))))
    return out


def test_the_cohort_report_fetches_nothing_and_stays_small_for_30_trainees(tmp_path):
    page = write_reports(_cohort_of(30), A, tmp_path)["cohort"].read_bytes()
    assert len(page) < 100_000, f"cohort.html is {len(page):,} bytes for 30 trainees"
    text = page.decode()
    for network in ("<script", "src=", "http:", "https:", "//cdn", "@import", "url(", "<link"):
        assert network not in text, f"cohort.html contains {network!r}"


def test_every_graded_question_names_a_section_of_its_course_notebook():
    for lesson in LESSONS:
        notebook = nbtools.REPO / "course" / f"{lesson.assignment}.ipynb"
        headings = set()
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                for line in nbtools.source(cell).splitlines():
                    if line.startswith("#"):
                        # As Jupyter shows it: no leading #'s, markdown escapes such as "\$" read as the character.
                        headings.add(re.sub(r"\\(.)", r"\1", line.lstrip("#").strip()))
        for q in lesson.questions:
            assert q.revisit in headings, f"{lesson.assignment} {q.qid}: no section {q.revisit!r} in {notebook.name}"
