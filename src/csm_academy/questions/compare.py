"""How an answer is coerced and compared: coercion first, so objects that claim to equal anything fail."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd


class WrongShape(ValueError):
    """The answer is not the kind of thing the question asks for; the message says what was expected."""


@dataclass(frozen=True)
class Number:
    """A plain number (a share such as 0.92, or dollars), compared with a tolerance."""

    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "a number"

    def coerce(self, value: Any) -> float:
        """Turn the answer into a Python float, or say what was expected."""
        if isinstance(value, bool | np.bool_) or value is None or isinstance(value, str):
            raise WrongShape(f"should be {self.what}, but it is {_describe(value)}")
        if isinstance(value, pd.Series | pd.DataFrame | np.ndarray) and np.size(value) == 1:
            value = np.asarray(value).ravel()[0]
        if not isinstance(value, Real | np.number):
            raise WrongShape(f"should be {self.what}, but it is {_describe(value)}")
        out = float(value)  # a real float: a custom __eq__ on the answer can no longer answer for it
        if math.isnan(out) or math.isinf(out):
            raise WrongShape(f"should be {self.what}, but it is {out}")
        return out

    def same(self, got: Any, expected: Any) -> bool:
        """Whether two answers match within the tolerance."""
        return math.isclose(float(got), float(expected), rel_tol=self.rel, abs_tol=self.abs)


@dataclass(frozen=True)
class Label:
    """A short text answer, such as a segment name; compared exactly after trimming."""

    what: str = "a segment name"

    def coerce(self, value: Any) -> str:
        """Turn the answer into a plain string."""
        if not isinstance(value, str | np.str_):
            raise WrongShape(f"should be {self.what} (text), but it is {_describe(value)}")
        return str(value).strip()

    def same(self, got: Any, expected: Any) -> bool:
        """Exact match of two labels."""
        return str(got) == str(expected)


@dataclass(frozen=True)
class Figures:
    """A set of named figures (a dict or a Series), e.g. the lines of an ARR bridge."""

    keys: tuple[str, ...]
    rel: float = 1e-6
    abs: float = 0.01
    what: str = "named figures"

    def coerce(self, value: Any) -> dict[str, float]:
        """Turn a dict or Series into a dict of floats with exactly the expected names."""
        if isinstance(value, pd.Series):
            value = value.to_dict()
        if not isinstance(value, Mapping):
            raise WrongShape(f"should be {self.what} (a dict or a pandas Series), but it is {_describe(value)}")
        missing = [k for k in self.keys if k not in value]
        if missing:
            raise WrongShape(f"is missing {', '.join(repr(k) for k in missing)}")
        number = Number(what=f"a number of dollars for each of {', '.join(self.keys)}")
        return {k: number.coerce(value[k]) for k in self.keys}

    def same(self, got: Mapping[str, float], expected: Mapping[str, float]) -> bool:
        """Every named figure matches within the tolerance."""
        return all(math.isclose(got[k], float(expected[k]), rel_tol=self.rel, abs_tol=self.abs) for k in self.keys)


@dataclass(frozen=True)
class Table:
    """A table with one row per group and the given numeric columns."""

    columns: tuple[str, ...]
    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "a table"

    def coerce(self, value: Any) -> pd.DataFrame:
        """Turn the answer into a float DataFrame indexed by group name, columns in order."""
        if not isinstance(value, pd.DataFrame):
            raise WrongShape(f"should be {self.what} (a pandas DataFrame), but it is {_describe(value)}")
        missing = [c for c in self.columns if c not in value.columns]
        if missing:
            raise WrongShape(f"is missing the column(s) {', '.join(repr(c) for c in missing)}")
        try:
            frame = pd.DataFrame(
                {c: pd.to_numeric(pd.Series(value[c].to_numpy()), errors="raise").astype(float) for c in self.columns}
            )
        except (TypeError, ValueError) as exc:
            raise WrongShape(f"has a column that is not numbers ({exc})") from None
        frame.index = [str(i) for i in value.index]
        if frame.index.has_duplicates:
            raise WrongShape("has the same group on more than one row")
        return frame.sort_index()

    def same(self, got: pd.DataFrame, expected: pd.DataFrame) -> bool:
        """Same groups, and every figure matches within the tolerance."""
        if list(got.index) != list(expected.index):
            return False
        return bool(
            np.allclose(
                got[list(self.columns)].to_numpy(float),
                expected[list(self.columns)].to_numpy(float),
                rtol=self.rel,
                atol=self.abs,
                equal_nan=True,
            )
        )


def _describe(value: Any) -> str:
    if value is None:
        return "None (nothing was returned)"
    if isinstance(value, bool | np.bool_):
        return f"True/False ({value})"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    if isinstance(value, pd.DataFrame):
        return f"a table with {len(value)} rows"
    if isinstance(value, pd.Series):
        return f"a column of {len(value)} values"
    if isinstance(value, Sequence):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


# --- Comparators added for module 2 (health-score calibration) ----------------------------------------


@dataclass(frozen=True)
class PerAccount:
    """One number per account (a Series or dict keyed by account_id), compared with a tolerance."""

    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "one number per account"

    def coerce(self, value: Any) -> pd.Series:
        """A float Series indexed by account_id and sorted by it, or WrongShape."""
        value = _one_series(value, self.what)
        ids = _whole_ids(value.index, "account_id", example=" such as 10001", noun="account")
        raw = value.to_numpy()
        if any(isinstance(v, bool | np.bool_) for v in raw):
            raise WrongShape(f"should be {self.what}: numbers, not True/False")
        try:
            numbers = pd.to_numeric(pd.Series(raw), errors="raise").astype(float).to_numpy()
        except (TypeError, ValueError):
            raise WrongShape(f"should be {self.what}: numbers, but some values are not") from None
        missing = int(np.isnan(numbers).sum())
        if missing:
            raise WrongShape(f"has no value (NaN) for {missing} account(s)")
        if not np.all(np.isfinite(numbers)):
            raise WrongShape("has an infinite value")
        return pd.Series(numbers, index=ids, dtype=float).sort_index()

    def same(self, got: pd.Series, expected: pd.Series) -> bool:
        """Same accounts, and every value matches within the tolerance."""
        if not isinstance(got, pd.Series) or not isinstance(expected, pd.Series):
            return False
        if not got.index.equals(expected.index):
            return False
        return bool(np.allclose(got.to_numpy(), expected.to_numpy(), rtol=self.rel, atol=self.abs))


@dataclass(frozen=True)
class PerAccountLabels:
    """A short text label per account (a Series or dict keyed by account_id); compared exactly."""

    what: str = "a label per account"

    def coerce(self, value: Any) -> dict[int, str]:
        """A dict from account_id to trimmed label, sorted by account_id, or WrongShape."""
        value = _one_series(value, self.what)
        ids = _whole_ids(value.index, "account_id", example=" such as 10001", noun="account")
        labels = []
        for v in value.to_numpy():
            if not isinstance(v, str | np.str_):
                raise WrongShape(f"should be {self.what} (text), but one value is {_describe(v)}")
            labels.append(str(v).strip())
        return dict(sorted(zip((int(i) for i in ids), labels, strict=True)))

    def same(self, got: Mapping[int, str], expected: Mapping[int, str]) -> bool:
        """The same accounts with the same labels."""
        return dict(got) == dict(expected)


@dataclass(frozen=True)
class ByGroup:
    """One number per named group (a Series, dict or one-column table), e.g. a churn rate per band."""

    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "one number per group"

    def coerce(self, value: Any) -> dict[str, float]:
        """A dict from group name to float, sorted by name, or WrongShape."""
        value = _one_series(value, self.what)
        number = Number(what=f"{self.what}: a number for each group")
        out: dict[str, float] = {}
        for key, v in value.items():
            name = str(key).strip()
            if name in out:
                raise WrongShape(f"has the group {name!r} more than once")
            out[name] = number.coerce(v)
        return dict(sorted(out.items()))

    def same(self, got: Mapping[str, float], expected: Mapping[str, float]) -> bool:
        """The same groups, and every number matches within the tolerance."""
        if set(got) != set(expected):
            return False
        return all(math.isclose(got[k], expected[k], rel_tol=self.rel, abs_tol=self.abs) for k in expected)


@dataclass(frozen=True)
class RankingBar:
    """What a score is judged against on one book: who churned, and the AUC range that counts as a match.

    ``mode="auc"`` matches a score whose AUC lies in [low, high]; ``mode="accounts"`` matches a score
    that does not give exactly one value for each of these accounts.
    """

    churned: pd.Series  # bool, indexed by account_id, sorted
    low: float = 0.0
    high: float = 1.0
    mode: str = "auc"


@dataclass(frozen=True)
class RanksChurners:
    """A health score per account, judged by how well it ranks churners below renewers (AUC)."""

    what: str = "one health score per account"

    def coerce(self, value: Any) -> pd.Series | RankingBar:
        """A bar passes through; an answer becomes a float Series indexed by account_id."""
        if isinstance(value, RankingBar):
            return value
        return PerAccount(what=self.what).coerce(value)

    def same(self, got: Any, bar: Any) -> bool:
        """Whether the score ``got`` meets ``bar`` (a bar is never itself an answer)."""
        from csm_academy.metrics.health import auc

        if not isinstance(got, pd.Series) or not isinstance(bar, RankingBar):
            return False
        covers = got.index.equals(bar.churned.index)
        if bar.mode == "accounts":
            return not covers
        return covers and bar.low <= auc(got, bar.churned) <= bar.high


# --- Comparators added for module 3 (expansion qualification) ----------------------------------------


def _whole_ids(index: Any, key: str, *, example: str = "", noun: str = "") -> pd.Index:
    """Row ids (account_id, opportunity_id) as whole numbers, whatever form they arrive in, or WrongShape."""
    try:
        ids = pd.to_numeric(pd.Series(list(index), dtype=object), errors="raise")
    except (TypeError, ValueError):
        raise WrongShape(f"should be indexed by {key} (whole numbers{example})") from None
    values = ids.to_numpy(dtype=float) if len(ids) else np.zeros(0)
    if ids.dtype == bool or not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise WrongShape(f"should be indexed by {key} (whole numbers{example})")
    out = pd.Index(values.astype("int64"), name=key)
    if out.has_duplicates:
        raise WrongShape(f"has the same {noun or key} on more than one row")
    return out


def _one_series(value: Any, what: str) -> pd.Series:
    """A Series from a Series, a dict or a one-column table, or WrongShape."""
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if isinstance(value, Mapping):
        value = pd.Series(dict(value), dtype=object)
    if not isinstance(value, pd.Series):
        raise WrongShape(f"should be {what} (a pandas Series or a dict), but it is {_describe(value)}")
    return value


_PER_ROW_KINDS = ("number", "count", "flag", "label")


@dataclass(frozen=True)
class PerRow:
    """One value per row id (e.g. per opportunity_id): a number, a count, True/False, or a label.

    Values are rebuilt as plain floats, ints, bools or lower-case strings before comparing, so an object
    that claims to equal anything cannot pass; labels are compared without regard to case or spaces.
    """

    kind: str = "number"
    key: str = "opportunity_id"
    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "one value per opportunity"

    def __post_init__(self) -> None:
        if self.kind not in _PER_ROW_KINDS:
            raise ValueError(f"kind must be one of {', '.join(_PER_ROW_KINDS)}, not {self.kind!r}")

    def coerce(self, value: Any) -> pd.Series:
        """A Series of plain values indexed by whole-number ids and sorted by them, or WrongShape."""
        series = _one_series(value, self.what)
        ids = _whole_ids(series.index, self.key)
        values = [self._one(v) for v in series.to_numpy(dtype=object)]
        dtype = {"number": float, "count": "int64", "flag": bool, "label": object}[self.kind]
        return pd.Series(values, index=ids, dtype=dtype).sort_index()

    def _one(self, v: Any) -> Any:
        if self.kind == "flag":
            if not isinstance(v, bool | np.bool_):
                raise WrongShape(f"should be {self.what}: True or False, but one value is {_describe(v)}")
            return bool(v)
        if self.kind == "label":
            if not isinstance(v, str | np.str_):
                raise WrongShape(f"should be {self.what} (text), but one value is {_describe(v)}")
            return str(v).strip().lower()
        number = Number(what=self.what).coerce(v)
        if self.kind == "count":
            if number != round(number):
                raise WrongShape(f"should be {self.what}: whole numbers, but one value is {number:g}")
            return int(round(number))
        return number

    def same(self, got: pd.Series, expected: pd.Series) -> bool:
        """The same ids, and every value equal (numbers within the tolerance)."""
        if not isinstance(got, pd.Series) or not isinstance(expected, pd.Series):
            return False
        if not got.index.equals(expected.index):
            return False
        if self.kind == "number":
            return bool(np.allclose(got.to_numpy(float), expected.to_numpy(float), rtol=self.rel, atol=self.abs))
        return bool((got.to_numpy() == expected.to_numpy()).all())


@dataclass(frozen=True)
class ChoiceBar:
    """What a chosen set of opportunities is judged against on one book (the reference's answer).

    ``durable`` is the ARR each opportunity in the pipeline kept after its next renewal; ``barred`` the
    opportunities the rules forbid working; a choice passes when it keeps at least ``bar`` dollars.
    """

    durable: Mapping[int, float]
    capacity: int
    barred: frozenset[int]
    bar: float

    def kept(self, choice: tuple[int, ...]) -> float:
        """Durable ARR a valid choice keeps."""
        return float(sum(self.durable[i] for i in choice))

    def broken_rule(self, choice: tuple[int, ...]) -> str | None:
        """The first rule a choice breaks: 'not_in_pipeline', 'over_capacity' or 'barred', else None."""
        if any(i not in self.durable for i in choice):
            return "not_in_pipeline"
        if len(choice) > self.capacity:
            return "over_capacity"
        if any(i in self.barred for i in choice):
            return "barred"
        return None


@dataclass(frozen=True)
class BrokenRule:
    """A known wrong answer that is a whole family of choices: every choice breaking ``rule`` on ``bar``.

    ``bar`` is a ``ChoiceBar`` or any bar with the same ``broken_rule`` and ``kept`` (a ``HoursBar``).
    """

    rule: str
    bar: Any


def _is_bar(value: Any) -> bool:
    """A bar a choice is judged against: it names the rules a choice breaks and what a choice keeps."""
    return not isinstance(value, BrokenRule) and hasattr(value, "broken_rule") and hasattr(value, "kept")


@dataclass(frozen=True)
class Choice:
    """A chosen set of ids (a list, set, array or Series of opportunity ids), judged by what it kept.

    Two choices are the same when they hold the same ids; a choice meets a ``ChoiceBar`` when it breaks
    none of its rules and keeps at least its bar; it matches a ``BrokenRule`` when it breaks that rule.
    """

    key: str = "opportunity_id"
    what: str = "a list of opportunity ids"

    def coerce(self, value: Any) -> tuple[int, ...] | ChoiceBar | BrokenRule:
        """Bars and broken rules pass through; an answer becomes a sorted tuple of distinct whole ids."""
        if _is_bar(value) or isinstance(value, BrokenRule):
            return value
        if isinstance(value, pd.DataFrame):
            if self.key not in value.columns:
                raise WrongShape(f"should be {self.what}, but it is a table without a {self.key} column")
            value = value[self.key]
        if isinstance(value, pd.Series | pd.Index | np.ndarray):
            value = list(np.asarray(value, dtype=object).ravel())
        if not isinstance(value, list | tuple | set | frozenset):
            raise WrongShape(f"should be {self.what}, but it is {_describe(value)}")
        ids = []
        for v in value:
            if isinstance(v, bool | np.bool_) or not isinstance(v, Real | np.number):
                raise WrongShape(f"should be {self.what}, but one item is {_describe(v)}")
            number = float(v)
            if not math.isfinite(number) or number != round(number):
                raise WrongShape(f"should be {self.what} (whole numbers), but one item is {number:g}")
            ids.append(int(round(number)))
        if len(set(ids)) != len(ids):
            raise WrongShape(f"lists the same {self.key} more than once")
        return tuple(sorted(ids))

    def same(self, got: Any, expected: Any) -> bool:
        """Whether ``got`` meets the bar, breaks the named rule, or equals another choice."""
        if not isinstance(got, tuple):
            return False
        if _is_bar(expected):
            return expected.broken_rule(got) is None and expected.kept(got) >= expected.bar - 0.5
        if isinstance(expected, BrokenRule):
            return expected.bar.broken_rule(got) == expected.rule
        return isinstance(expected, tuple) and got == expected


# --- Comparators added for module 4 (save-or-let-go and renewal triage) --------------------------------

_CALLS = ("commit", "likely", "at-risk", "lost")


@dataclass(frozen=True)
class TriageBar:
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
        from csm_academy.metrics.renewal import forecast_scores

        return forecast_scores(calls, self.arr_due, self.churned)

    def broken_rule(self, calls: pd.Series) -> str | None:
        """'accounts' (not one call per account), 'one_call' (everything alike), 'health_only', or None."""
        from csm_academy.metrics.renewal import follows_one_signal

        if not calls.index.equals(self.arr_due.index):
            return "accounts"
        if calls.nunique() <= 1:
            return "one_call"
        if follows_one_signal(calls, self.health):
            return "health_only"
        return None


@dataclass(frozen=True)
class Forecast:
    """A forecast call per account_id ('commit', 'likely', 'at-risk' or 'lost'), judged by what happened."""

    what: str = "a call per account_id: 'commit', 'likely', 'at-risk' or 'lost'"

    def coerce(self, value: Any) -> pd.Series | TriageBar:
        """A bar passes through; an answer becomes a Series of known calls indexed by account_id."""
        if isinstance(value, TriageBar):
            return value
        calls = PerRow(kind="label", key="account_id", what=self.what).coerce(value)
        unknown = sorted(set(calls) - set(_CALLS))
        if unknown:
            raise WrongShape(f"should use only the calls {', '.join(_CALLS)}, but it has {unknown[0]!r}")
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
class FlagBar:
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
class Flags:
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
class HoursBar:
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
