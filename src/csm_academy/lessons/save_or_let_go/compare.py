"""How module 4 judges forecasts, fit-gap flags, save plans and levers: against what really happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from csm_academy.book.generate import FORECAST_CALLS
from csm_academy.metrics.renewal import follows_one_signal, forecast_scores
from csm_academy.questions.compare import Bar, Choice, Comparator, PerRow, SelectionBar, WrongShape


@dataclass(frozen=True)
class TriageBar(Bar):
    """What a renewal forecast is judged against on one book (grader side: it holds who churned).

    A forecast passes when it calls every account in the pipeline, breaks none of the triage rules, and
    its balanced accuracy in ARR reaches ``bar``. With ``rule`` set, the bar stands for a known wrong
    family instead: every forecast that breaks that rule.
    """

    arr_due: pd.Series  # float, indexed by account_id, sorted
    churned: pd.Series  # bool, same index
    health: pd.Series  # the dashboard health score, same index
    bar: float
    reference: Mapping[str, float]  # the course triage's scores on this book, for the feedback
    rule: str | None = None

    def scores(self, calls: pd.Series) -> dict[str, float]:
        """Surprise share, false-alarm share and balanced accuracy of ``calls``."""
        return forecast_scores(calls, self.arr_due, self.churned)

    def broken_rule(self, calls: pd.Series) -> str | None:
        """'accounts' (not one call per account), 'one_call' (everything alike), 'health_only', or None."""
        if not calls.index.equals(self.arr_due.index):
            return "accounts"
        if calls.nunique() <= 1:
            return "one_call"
        if follows_one_signal(calls, self.health):
            return "health_only"
        return None


@dataclass(frozen=True)
class Forecast(Comparator):
    """A forecast call per account_id ('commit', 'likely', 'at-risk' or 'lost'), judged by what happened."""

    what: str = "a call per account_id: 'commit', 'likely', 'at-risk' or 'lost'"

    def coerce(self, value: Any) -> pd.Series | TriageBar:
        """A bar passes through; an answer becomes a Series of known calls indexed by account_id."""
        if isinstance(value, TriageBar):
            return value
        calls = PerRow(kind="label", key="account_id", what=self.what).coerce(value)
        unknown = sorted(set(calls) - set(FORECAST_CALLS))
        if unknown:
            raise WrongShape(f"should use only the calls {', '.join(FORECAST_CALLS)}, but it has {unknown[0]!r}")
        return calls

    def same(self, got: Any, expected: Any) -> bool:
        """Whether ``got`` meets the bar, breaks the bar's named rule, or equals another forecast."""
        if not isinstance(got, pd.Series):
            return False
        if isinstance(expected, TriageBar):
            broken = expected.broken_rule(got)
            if expected.rule is not None:
                return broken == expected.rule
            return broken is None and expected.scores(got)["balanced_accuracy"] >= expected.bar - 1e-9
        return isinstance(expected, pd.Series) and got.index.equals(expected.index) and bool((got == expected).all())

    def explain(self, got: Any, expected: Any) -> str:
        """The forecast's figures next to the bar, in words."""
        if not isinstance(got, pd.Series) or not isinstance(expected, TriageBar) or expected.broken_rule(got):
            return ""
        s, ref = expected.scores(got), expected.reference
        return (
            f" Your calls missed {s['surprise_share']:.0%} of the ARR that churned and raised false alarms on "
            f"{s['false_alarm_share']:.0%} of the ARR that stayed: balanced accuracy {s['balanced_accuracy']:.0%}, "
            f"where {expected.bar:.0%} was needed (the course's triage: {ref['balanced_accuracy']:.0%}, missing "
            f"{ref['surprise_share']:.0%} of churned ARR)."
        )


@dataclass(frozen=True)
class FlagBar(Bar):
    """Flags judged against the hidden truth of one book: F1 (catching the real cases without crying wolf)."""

    truth: pd.Series  # bool, indexed by account_id, sorted
    bar: float
    reference_f1: float

    def f1(self, flags: pd.Series) -> float:
        """F1 of ``flags`` against the truth: twice the hits over flags plus real cases."""
        hits = int((flags & self.truth).sum())
        total = int(flags.sum()) + int(self.truth.sum())
        return 2 * hits / total if total else 1.0


@dataclass(frozen=True)
class Flags(Comparator):
    """True/False per account_id, judged by how well it finds the hidden truth (or equal to other flags)."""

    key: str = "account_id"
    what: str = "True or False per account_id"

    def coerce(self, value: Any) -> pd.Series | FlagBar:
        """A bar passes through; an answer becomes a bool Series indexed by account_id."""
        if isinstance(value, FlagBar):
            return value
        return PerRow(kind="flag", key=self.key, what=self.what).coerce(value)

    def same(self, got: Any, expected: Any) -> bool:
        """Whether ``got`` covers the same accounts and reaches the bar, or equals other flags."""
        if not isinstance(got, pd.Series):
            return False
        if isinstance(expected, FlagBar):
            return got.index.equals(expected.truth.index) and expected.f1(got) >= expected.bar - 1e-9
        return isinstance(expected, pd.Series) and got.index.equals(expected.index) and bool((got == expected).all())

    def explain(self, got: Any, expected: Any) -> str:
        """How many real cases the flags caught, and how many flags were wrong, in words."""
        if not isinstance(got, pd.Series) or not isinstance(expected, FlagBar):
            return ""
        if not got.index.equals(expected.truth.index):
            return f" Give one True/False for every {self.key} in the table, no more and no fewer."
        hits = int((got & expected.truth).sum())
        flagged, real = int(got.sum()), int(expected.truth.sum())
        return (
            f" Your flags caught {hits} of {real} mis-sold accounts, and {flagged - hits} of your {flagged} flags "
            f"were accounts that fit: F1 {expected.f1(got):.3f}, where {expected.bar:.3f} was needed (the course's "
            f"rule: {expected.reference_f1:.3f})."
        )


@dataclass(frozen=True)
class HoursBar(SelectionBar):
    """What a save plan is judged against on one book: expected ARR each save keeps, hours, the budget.

    ``value`` comes from the hidden truth (how likely each account was to churn and whether a save could
    work); ``barred`` are accounts with a fit gap, where the course's rule is a clean exit, not a save.
    """

    value: Mapping[int, float]
    hours: Mapping[int, int]
    budget: int
    barred: frozenset[int]
    bar: float
    best: float

    def kept(self, plan: tuple[int, ...]) -> float:
        """Expected ARR a valid plan keeps."""
        return float(sum(self.value[i] for i in plan))

    def broken_rule(self, plan: tuple[int, ...]) -> str | None:
        """'not_on_desk', 'over_budget' or 'fit_gap', else None."""
        if any(i not in self.value for i in plan):
            return "not_on_desk"
        if sum(self.hours[i] for i in plan) > self.budget:
            return "over_budget"
        if any(i in self.barred for i in plan):
            return "fit_gap"
        return None


@dataclass(frozen=True)
class SavePlan(Choice):
    """A list of account ids to spend save hours on, judged by the ARR the plan can be expected to keep."""

    key: str = "account_id"
    what: str = "a list of account ids"

    def explain(self, got: Any, expected: Any) -> str:
        """The plan's expected kept ARR against the best plan and the bar, in dollars."""
        if not isinstance(got, tuple) or not isinstance(expected, HoursBar) or expected.broken_rule(got):
            return ""
        used = sum(expected.hours[i] for i in got)
        return (
            f" Your plan uses {used} of {expected.budget} hours and can be expected to keep "
            f"{expected.kept(got):,.0f} dollars of ARR; the best plan keeps {expected.best:,.0f} and "
            f"{expected.bar:,.0f} was needed."
        )


@dataclass(frozen=True)
class UsesLabel:
    """A known wrong family of labelled answers: any answer that uses ``word`` in one of its labels."""

    word: str


@dataclass(frozen=True)
class Levers(PerRow):
    """A save lever per account_id, compared exactly; a ``UsesLabel`` matches any answer using its word."""

    kind: str = "label"
    key: str = "account_id"
    what: str = "a lever per account_id"

    def coerce(self, value: Any) -> Any:
        """A family passes through; an answer becomes lower-case labels indexed by account_id."""
        if isinstance(value, UsesLabel):
            return value
        return super().coerce(value)

    def same(self, got: Any, expected: Any) -> bool:
        """Equal labels on the same ids, or (against a family) any label containing its word."""
        if not isinstance(got, pd.Series):
            return False
        if isinstance(expected, UsesLabel):
            return bool(got.astype(str).str.contains(expected.word, regex=False).any())
        return isinstance(expected, pd.Series) and super().same(got, expected)
