"""Module 1, NRR math: the ARR report trainees work from, the right answers, and the wrong ones we know."""

from __future__ import annotations

import pandas as pd

from csm_academy.book import variants as V
from csm_academy.book.book import Book
from csm_academy.questions.compare import Figures, Label, Number, Table
from csm_academy.questions.lesson import Lesson, pick
from csm_academy.questions.question import Misconception, Question

ASSIGNMENT = "01_nrr_math"
BRIDGE_LINES = ("Starting ARR", "Expansion", "Contraction", "Churn", "Ending ARR")
REPORT_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "cohort",
    "arr_start",
    "new_arr",
    "expansion_arr",
    "contraction_arr",
    "churn_arr",
    "arr_end",
    "churned",
)


# --- What the trainee is handed ------------------------------------------------------------------


def arr_report(book: Book) -> pd.DataFrame:
    """Finance's ARR movement report for 2025: the starting book plus the year's new logos, mixed."""
    acc = book.accounts
    start = pd.DataFrame(
        {
            "account_id": acc["account_id"].to_numpy(),
            "name": acc["name"].astype(str).to_numpy(),
            "segment": acc["segment"].astype(str).to_numpy(),
            "cohort": acc["cohort"].to_numpy(),
            "arr_start": acc["arr_start"].to_numpy(),
            "new_arr": 0,
            "expansion_arr": acc["expansion_arr"].to_numpy(),
            "contraction_arr": acc["contraction_arr"].to_numpy(),
            "churn_arr": acc["churn_arr"].to_numpy(),
            "arr_end": acc["arr_end"].to_numpy(),
            "churned": acc["churned"].to_numpy(),
        }
    )
    new = book.new_logos
    landed = pd.DataFrame(
        {
            "account_id": new["account_id"].to_numpy(),
            "name": new["name"].astype(str).to_numpy(),
            "segment": new["segment"].astype(str).to_numpy(),
            "cohort": 2025,
            "arr_start": 0,
            "new_arr": new["arr"].to_numpy(),
            "expansion_arr": 0,
            "contraction_arr": 0,
            "churn_arr": 0,
            "arr_end": new["arr"].to_numpy(),
            "churned": False,
        }
    )
    report = pd.concat([start, landed], ignore_index=True) if len(landed) else start
    report = report.astype({c: "int64" for c in REPORT_COLUMNS if c.endswith("arr") or c in ("cohort",)})
    report["churned"] = report["churned"].astype(bool)
    return report.sort_values("account_id", kind="stable").reset_index(drop=True)[list(REPORT_COLUMNS)]


def smb_mrr(book: Book) -> pd.DataFrame:
    """The billing system's SMB export: the same movements, but in dollars per month (MRR)."""
    acc = book.accounts[book.accounts["segment"] == "SMB"]
    out = pd.DataFrame({"account_id": acc["account_id"].to_numpy()})
    for src, dst in (
        ("arr_start", "mrr_start"),
        ("expansion_arr", "mrr_expansion"),
        ("contraction_arr", "mrr_contraction"),
        ("churn_arr", "mrr_churn"),
    ):
        out[dst] = (acc[src].to_numpy() / 12).round(2)
    out["mrr_end"] = (out["mrr_start"] + out["mrr_expansion"] - out["mrr_contraction"] - out["mrr_churn"]).round(2)
    return out


def _report(book: Book) -> tuple[pd.DataFrame]:
    return (arr_report(book),)


def _mrr(book: Book) -> tuple[pd.DataFrame]:
    return (smb_mrr(book),)


# --- Reference calculations (what the course teaches) --------------------------------------------


def _starting(report: pd.DataFrame) -> pd.DataFrame:
    return report[report["arr_start"] > 0]


def _sums(report: pd.DataFrame) -> pd.Series:
    return _starting(report)[["arr_start", "expansion_arr", "contraction_arr", "churn_arr", "arr_end"]].sum()


def nrr_of(report: pd.DataFrame) -> float:
    """NRR of the starting book: (start + expansion - contraction - churn) / start."""
    s = _sums(report)
    return float((s.arr_start + s.expansion_arr - s.contraction_arr - s.churn_arr) / s.arr_start)


def grr_of(report: pd.DataFrame) -> float:
    """GRR of the starting book: (start - contraction - churn) / start."""
    s = _sums(report)
    return float((s.arr_start - s.contraction_arr - s.churn_arr) / s.arr_start)


def logo_retention_of(report: pd.DataFrame) -> float:
    """Share of starting accounts that did not churn."""
    return float(1 - _starting(report)["churned"].mean())


def retention_table_of(report: pd.DataFrame) -> pd.DataFrame:
    """NRR, GRR and logo retention per segment, for segments with starting accounts."""
    rows = {seg: part for seg, part in _starting(report).groupby("segment", sort=True)}
    return pd.DataFrame(
        {
            "nrr": {seg: nrr_of(part) for seg, part in rows.items()},
            "grr": {seg: grr_of(part) for seg, part in rows.items()},
            "logo_retention": {seg: logo_retention_of(part) for seg, part in rows.items()},
        }
    )


def bridge_from_mrr(mrr: pd.DataFrame) -> dict[str, float]:
    """The ARR bridge from monthly figures: every line times 12, losses as positive amounts."""
    sums = mrr[["mrr_start", "mrr_expansion", "mrr_contraction", "mrr_churn", "mrr_end"]].sum() * 12
    return dict(zip(BRIDGE_LINES, (float(v) for v in sums), strict=True))


def segment_masking_churn_of(report: pd.DataFrame) -> str:
    """Of the segments with NRR of at least 100%, the one that lost the largest share of its logos."""
    table = retention_table_of(report)
    growing = table[table["nrr"] >= 1.0]
    if growing.empty:
        raise ValueError("no segment reached 100% NRR in this book")
    return str(growing["logo_retention"].idxmin())


def masked_churn_of(report: pd.DataFrame) -> float:
    """Dollars of churn and contraction that expansion covers up: min(expansion, churn + contraction)."""
    s = _sums(report)
    return float(min(s.expansion_arr, s.contraction_arr + s.churn_arr))


# --- Misconceptions: each produces the wrong answer from the same book ---------------------------


def _nrr_with_new_logos(report: pd.DataFrame) -> float:
    return float(report["arr_end"].sum() / report["arr_start"].sum())


def _nrr_average_denominator(report: pd.DataFrame) -> float:
    s = _sums(report)
    return float(s.arr_end / ((s.arr_start + s.arr_end) / 2))


def _nrr_ignoring_contraction(report: pd.DataFrame) -> float:
    s = _sums(report)
    return float((s.arr_start + s.expansion_arr - s.churn_arr) / s.arr_start)


def _grr_ignoring_contraction(report: pd.DataFrame) -> float:
    s = _sums(report)
    return float((s.arr_start - s.churn_arr) / s.arr_start)


def _grr_ending_denominator(report: pd.DataFrame) -> float:
    s = _sums(report)
    return float((s.arr_start - s.contraction_arr - s.churn_arr) / s.arr_end)


def _logo_from_dollars(report: pd.DataFrame) -> float:
    s = _sums(report)
    return float(1 - s.churn_arr / s.arr_start)


def _logo_contraction_as_churn(report: pd.DataFrame) -> float:
    start = _starting(report)
    return float(1 - (start["churned"] | (start["contraction_arr"] > 0)).mean())


def _logo_with_new_logos(report: pd.DataFrame) -> float:
    return float(1 - report["churned"].sum() / len(report))


def _table_with_new_logos(report: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for seg, part in report.groupby("segment", sort=True):
        start = part["arr_start"].sum()
        if start <= 0:
            continue
        out[seg] = {
            "nrr": part["arr_end"].sum() / start,
            "grr": grr_of(part),
            "logo_retention": 1 - part["churned"].sum() / len(part),
        }
    return pd.DataFrame.from_dict(out, orient="index")


def _table_grr_with_expansion(report: pd.DataFrame) -> pd.DataFrame:
    table = retention_table_of(report)
    table["grr"] = table["nrr"]
    return table


def _bridge_not_annualised(mrr: pd.DataFrame) -> dict[str, float]:
    return {k: v / 12 for k, v in bridge_from_mrr(mrr).items()}


def _bridge_losses_negative(mrr: pd.DataFrame) -> dict[str, float]:
    out = bridge_from_mrr(mrr)
    out["Contraction"], out["Churn"] = -out["Contraction"], -out["Churn"]
    return out


def _pick_lowest_logo_retention(report: pd.DataFrame) -> str:
    return str(retention_table_of(report)["logo_retention"].idxmin())


def _pick_highest_nrr(report: pd.DataFrame) -> str:
    return str(retention_table_of(report)["nrr"].idxmax())


def _masked_is_expansion(report: pd.DataFrame) -> float:
    return float(_sums(report).expansion_arr)


def _masked_ignoring_contraction(report: pd.DataFrame) -> float:
    s = _sums(report)
    return float(min(s.expansion_arr, s.churn_arr))


def _masked_as_share(report: pd.DataFrame) -> float:
    return nrr_of(report) - grr_of(report)


def _on_report(fn):
    return lambda book: fn(arr_report(book))


def _on_mrr(fn):
    return lambda book: fn(smb_mrr(book))


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "nrr_counts_new_logos",
            _on_report(_nrr_with_new_logos),
            "Your NRR includes new logos. NRR measures only the accounts you started the year with: "
            "leave out rows whose arr_start is 0 (their new_arr is new business, not retention).",
        ),
        Misconception(
            "nrr_average_denominator",
            _on_report(_nrr_average_denominator),
            "You divided by an average of starting and ending ARR. The denominator is the starting ARR "
            "of the same accounts: retention asks how much of what you had on 1 January you still have.",
        ),
        Misconception(
            "nrr_ignores_contraction",
            _on_report(_nrr_ignoring_contraction),
            "Your NRR leaves out contraction. Downsell at renewal is lost revenue too: subtract "
            "contraction_arr as well as churn_arr.",
        ),
        Misconception(
            "grr_includes_expansion",
            _on_report(nrr_of),
            "That is NRR, not GRR. Gross retention leaves expansion out, so it can never exceed 100%: "
            "(start - contraction - churn) / start.",
        ),
        Misconception(
            "grr_ignores_contraction",
            _on_report(_grr_ignoring_contraction),
            "Your GRR only counts churned accounts. Contraction (downsell) is a gross loss too: subtract it.",
        ),
        Misconception(
            "grr_ending_denominator",
            _on_report(_grr_ending_denominator),
            "You divided by ending ARR. Retention is always measured against the starting ARR of the same accounts.",
        ),
        Misconception(
            "logo_retention_from_dollars",
            _on_report(_logo_from_dollars),
            "That is a dollar figure. Logo retention counts accounts: how many of the accounts you "
            "started with are still customers, whatever their size.",
        ),
        Misconception(
            "logo_contraction_as_churn",
            _on_report(_logo_contraction_as_churn),
            "You counted accounts that contracted as lost. A downsized account is still a logo you kept; "
            "only churned accounts leave.",
        ),
        Misconception(
            "logo_counts_new_logos",
            _on_report(_logo_with_new_logos),
            "Your logo retention includes the year's new logos. Count only accounts that were customers "
            "on 1 January (arr_start above 0).",
        ),
        Misconception(
            "segment_table_counts_new_logos",
            _on_report(_table_with_new_logos),
            "Your segment table mixes new logos into retention. Filter to starting accounts (arr_start "
            "above 0) before grouping by segment.",
        ),
        Misconception(
            "segment_grr_includes_expansion",
            _on_report(_table_grr_with_expansion),
            "Your grr column includes expansion (it equals nrr). Gross retention leaves expansion out.",
        ),
        Misconception(
            "mrr_not_annualised",
            _on_mrr(_bridge_not_annualised),
            "Those are monthly figures. The export is MRR (dollars per month): multiply by 12 to get ARR.",
        ),
        Misconception(
            "bridge_losses_negative",
            _on_mrr(_bridge_losses_negative),
            "Give contraction and churn as positive amounts of lost ARR; the bridge subtracts them.",
        ),
        Misconception(
            "picked_lowest_logo_retention",
            _on_report(_pick_lowest_logo_retention),
            "That segment loses the most logos, but its NRR is below 100%, so its losses already show. "
            "The question is which segment's healthy-looking NRR is covering lost customers.",
        ),
        Misconception(
            "picked_highest_nrr",
            _on_report(_pick_highest_nrr),
            "That is simply the best NRR. A strong NRR hides churn only where logos are leaving: among "
            "segments at or above 100% NRR, pick the one with the lowest logo retention.",
        ),
        Misconception(
            "masked_is_all_expansion",
            _on_report(_masked_is_expansion),
            "That is all of the expansion. Expansion can only hide as much churn and contraction as "
            "actually happened: take the smaller of the two.",
        ),
        Misconception(
            "masked_ignores_contraction",
            _on_report(_masked_ignoring_contraction),
            "Contraction is hidden by expansion too, not only churn: compare expansion with churn plus contraction.",
        ),
        Misconception(
            "masked_as_share",
            _on_report(_masked_as_share),
            "That is the NRR-GRR gap as a share. The question asks for dollars of ARR.",
        ),
    )
}


_EDGES_RETENTION = (
    ("no churn at all", V.no_churn),
    ("one whale expansion", V.whale_expansion),
    ("no Enterprise accounts", V.without_segment("Enterprise")),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        qid="q1_nrr",
        answer="nrr",
        title="Q1 Net revenue retention",
        points=2,
        inputs=_report,
        reference=_on_report(nrr_of),
        compare=Number(what="a share such as 1.04 (meaning 104%)"),
        misconceptions=pick(
            MISCONCEPTIONS, "nrr_counts_new_logos", "nrr_average_denominator", "nrr_ignores_contraction"
        ),
        hints=(
            "NRR is about the accounts you had on 1 January 2025. Which rows of the report are those?",
            "Keep rows with arr_start > 0, then (sum of arr_start + expansion - contraction - churn) / sum of "
            "arr_start.",
        ),
        wrong="That is not this book's NRR. Check which rows you kept and which movements you added or subtracted.",
        edge_cases=_EDGES_RETENTION,
    ),
    Question(
        qid="q2_grr",
        answer="grr",
        title="Q2 Gross revenue retention",
        points=2,
        inputs=_report,
        reference=_on_report(grr_of),
        compare=Number(what="a share such as 0.91"),
        misconceptions=pick(
            MISCONCEPTIONS, "grr_includes_expansion", "grr_ignores_contraction", "grr_ending_denominator"
        ),
        hints=(
            "GRR answers: of the revenue we started with, how much did we keep, before any upsell?",
            "(starting ARR - contraction - churn) / starting ARR, over accounts with arr_start > 0.",
        ),
        wrong="That is not this book's GRR. It should never be above 1, and expansion plays no part in it.",
        edge_cases=_EDGES_RETENTION,
    ),
    Question(
        qid="q3_logo_retention",
        answer="logo_retention",
        title="Q3 Logo retention",
        points=2,
        inputs=_report,
        reference=_on_report(logo_retention_of),
        compare=Number(what="a share such as 0.9"),
        misconceptions=pick(
            MISCONCEPTIONS, "logo_retention_from_dollars", "logo_contraction_as_churn", "logo_counts_new_logos"
        ),
        hints=(
            "Logos are accounts. Dollars do not enter this one at all.",
            "Among accounts with arr_start > 0: 1 - (number churned / number of accounts).",
        ),
        wrong="That is not this book's logo retention: count starting accounts, and treat only churn as a loss.",
        edge_cases=(("no churn at all", V.no_churn), ("only five accounts", V.first_accounts(5))),
    ),
    Question(
        qid="q4_retention_by_segment",
        answer="retention_by_segment",
        title="Q4 Retention by segment",
        points=3,
        inputs=_report,
        reference=_on_report(retention_table_of),
        compare=Table(columns=("nrr", "grr", "logo_retention"), what="a table with one row per segment"),
        misconceptions=pick(MISCONCEPTIONS, "segment_table_counts_new_logos", "segment_grr_includes_expansion"),
        hints=(
            "Filter to starting accounts first, then group by segment and sum the movement columns.",
            "Return a DataFrame indexed by segment name with columns nrr, grr and logo_retention; a segment "
            "with no starting accounts gets no row.",
        ),
        wrong="Your segment table does not match the book. Check each column per segment against Q1-Q3.",
        edge_cases=(
            ("no Enterprise accounts", V.without_segment("Enterprise")),
            ("one whale expansion", V.whale_expansion),
        ),
    ),
    Question(
        qid="q5_bridge_from_mrr",
        answer="bridge_from_mrr",
        title="Q5 ARR bridge from a monthly export",
        points=2,
        inputs=_mrr,
        reference=_on_mrr(bridge_from_mrr),
        compare=Figures(keys=BRIDGE_LINES, what="the five bridge figures"),
        misconceptions=pick(MISCONCEPTIONS, "mrr_not_annualised", "bridge_losses_negative"),
        hints=(
            "The export is in dollars per month. What do you multiply a monthly figure by to get a year?",
            "Sum each mrr_ column and multiply by 12; return a dict with keys 'Starting ARR', 'Expansion', "
            "'Contraction', 'Churn', 'Ending ARR' (losses as positive amounts).",
        ),
        wrong="Those figures do not match the export. Check the units (monthly or annual) and each line's sum.",
        edge_cases=(("no churn at all", V.no_churn),),
    ),
    Question(
        qid="q6_segment_masking_churn",
        answer="segment_masking_churn",
        title="Q6 Which segment's NRR hides logo churn?",
        points=2,
        inputs=_report,
        reference=_on_report(segment_masking_churn_of),
        compare=Label(what="a segment name such as 'SMB'"),
        misconceptions=pick(MISCONCEPTIONS, "picked_lowest_logo_retention", "picked_highest_nrr"),
        hints=(
            "The tell is dollar retention and logo retention moving apart: a few big upsells, many small losses.",
            "Per segment (starting accounts only) compute NRR and logo retention; keep segments with NRR of at "
            "least 1.0, and return the one with the lowest logo retention.",
        ),
        wrong="That is not the segment whose NRR of 100% or more covers the largest share of lost logos.",
        edge_cases=(("one whale expansion", V.whale_expansion),),
    ),
    Question(
        qid="q7_churn_masked_by_expansion",
        answer="churn_masked_by_expansion",
        title="Q7 How much churn does expansion mask?",
        points=2,
        inputs=_report,
        reference=_on_report(masked_churn_of),
        compare=Number(abs=0.5, rel=0, what="a number of dollars"),
        misconceptions=pick(MISCONCEPTIONS, "masked_is_all_expansion", "masked_ignores_contraction", "masked_as_share"),
        hints=(
            "In the $5M example, $700K of expansion covered $400K of churn: the masked amount was $400K.",
            "Over starting accounts: the smaller of total expansion and (total churn + total contraction).",
        ),
        wrong="That is not the amount of lost ARR that expansion covers up in this book.",
        edge_cases=(("no churn at all", V.no_churn), ("one whale expansion", V.whale_expansion)),
    ),
)


# --- Practice in the teaching notebook (solutions allowed) ---------------------------------------

_SOLUTIONS = {
    "q2_grr": """def grr(report):
    start = report[report["arr_start"] > 0]
    lost = start["contraction_arr"].sum() + start["churn_arr"].sum()
    return (start["arr_start"].sum() - lost) / start["arr_start"].sum()""",
    "q3_logo_retention": """def logo_retention(report):
    start = report[report["arr_start"] > 0]
    return 1 - start["churned"].sum() / len(start)""",
}

PRACTICE: tuple[Question, ...] = (
    Question(
        qid="p1_five_million_grr",
        answer="five_million_grr",
        title="Practice 1: GRR of the $5M book",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=lambda book: 0.92,
        compare=Number(rel=0, abs=0.0005, what="a share such as 0.92"),
        misconceptions=(
            Misconception(
                "grr_includes_expansion",
                lambda book: 1.06,
                "That is the NRR. Gross retention leaves the $700K of expansion out and counts only what was kept.",
            ),
            Misconception(
                "grr_ending_denominator",
                lambda book: 4.6 / 5.3,
                "You divided by ending ARR ($5.3M). Divide by the $5.0M the book started with.",
            ),
        ),
        hints=("Start from $5.0M and subtract only what was lost.", "(5.0 - 0.4) / 5.0"),
        solution_code="five_million_grr = (5_000_000 - 400_000) / 5_000_000  # 0.92",
    ),
    Question(
        qid="p2_book_nrr",
        answer="book_nrr",
        title="Practice 2: this book's NRR",
        points=0,
        kind="value",
        inputs=lambda book: (),
        reference=_on_report(nrr_of),
        compare=Number(rel=1e-6, what="a share such as 1.04"),
        misconceptions=pick(
            MISCONCEPTIONS, "nrr_counts_new_logos", "nrr_average_denominator", "nrr_ignores_contraction"
        ),
        hints=QUESTIONS[0].hints,
        solution_code="""start = report[report["arr_start"] > 0]
book_nrr = (start["arr_start"].sum() + start["expansion_arr"].sum()
            - start["contraction_arr"].sum() - start["churn_arr"].sum()) / start["arr_start"].sum()""",
    ),
    *(q.as_practice(_SOLUTIONS[q.qid]) for q in QUESTIONS if q.qid in _SOLUTIONS),
)


LESSON = Lesson(
    assignment=ASSIGNMENT,
    seed=1102,
    questions=QUESTIONS,
    misconceptions=MISCONCEPTIONS,
    practice_questions=PRACTICE,
)
exercise = LESSON.exercise
practice = LESSON.practice
