"""How an answer is coerced and compared: coercion first, so objects that claim to equal anything fail.

The engine's comparators are generic (numbers, labels, tables, one value per row, a chosen set of ids).
A lesson that needs its own (answers judged by what really happened on a book) defines it in its
own folder as a subclass of ``Comparator``, and its bars as subclasses of ``Bar``.
"""

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


class Comparator:
    """How one kind of answer is coerced and compared; every comparator is a frozen dataclass subclass.

    ``coerce`` rebuilds an answer (or a reference) as plain values, raising ``WrongShape`` with what was
    expected; ``same`` compares two coerced values; ``explain`` may add figures to a miss ("" by default).
    """

    what: str

    def coerce(self, value: Any) -> Any:
        """The answer rebuilt as plain values, or ``WrongShape``."""
        raise NotImplementedError

    def same(self, got: Any, expected: Any) -> bool:
        """Whether a coerced answer matches a coerced reference (or meets a bar)."""
        raise NotImplementedError

    def explain(self, got: Any, expected: Any) -> str:
        """Figures that say how far a wrong answer was from what was needed; empty when there are none."""
        return ""


class Bar:
    """What a judgement answer is held to on one book, built grader side from the book's hidden truth.

    A comparator passes a bar through ``coerce`` unchanged and judges an answer against it in ``same``.
    """


class SelectionBar(Bar):
    """A bar for a chosen set of ids: the rules a choice must keep, and the value a choice keeps."""

    bar: float  # what a valid choice must keep to pass

    def kept(self, choice: tuple[int, ...]) -> float:
        """What a valid choice keeps (dollars of ARR)."""
        raise NotImplementedError

    def broken_rule(self, choice: tuple[int, ...]) -> str | None:
        """The first rule the choice breaks, or None."""
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Comparator):
    """A plain number (a share such as 0.92, or dollars), compared with a tolerance."""

    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "a number"

    def coerce(self, value: Any) -> float:
        """Turn the answer into a Python float, or say what was expected."""
        if isinstance(value, bool | np.bool_) or value is None or isinstance(value, str):
            raise WrongShape(f"should be {self.what}, but it is {describe(value)}")
        if isinstance(value, pd.Series | pd.DataFrame | np.ndarray) and np.size(value) == 1:
            value = np.asarray(value).ravel()[0]
        if not isinstance(value, Real | np.number):
            raise WrongShape(f"should be {self.what}, but it is {describe(value)}")
        out = float(value)  # a real float: a custom __eq__ on the answer can no longer answer for it
        if math.isnan(out) or math.isinf(out):
            raise WrongShape(f"should be {self.what}, but it is {out}")
        return out

    def same(self, got: Any, expected: Any) -> bool:
        """Whether two answers match within the tolerance."""
        return math.isclose(float(got), float(expected), rel_tol=self.rel, abs_tol=self.abs)


@dataclass(frozen=True)
class Label(Comparator):
    """A short text answer, such as a segment name; compared exactly after trimming."""

    what: str = "a segment name"

    def coerce(self, value: Any) -> str:
        """Turn the answer into a plain string."""
        if not isinstance(value, str | np.str_):
            raise WrongShape(f"should be {self.what} (text), but it is {describe(value)}")
        return str(value).strip()

    def same(self, got: Any, expected: Any) -> bool:
        """Exact match of two labels."""
        return str(got) == str(expected)


@dataclass(frozen=True)
class Figures(Comparator):
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
            raise WrongShape(f"should be {self.what} (a dict or a pandas Series), but it is {describe(value)}")
        missing = [k for k in self.keys if k not in value]
        if missing:
            raise WrongShape(f"is missing {', '.join(repr(k) for k in missing)}")
        number = Number(what=f"a number of dollars for each of {', '.join(self.keys)}")
        return {k: number.coerce(value[k]) for k in self.keys}

    def same(self, got: Mapping[str, float], expected: Mapping[str, float]) -> bool:
        """Every named figure matches within the tolerance."""
        return all(math.isclose(got[k], float(expected[k]), rel_tol=self.rel, abs_tol=self.abs) for k in self.keys)


@dataclass(frozen=True)
class Table(Comparator):
    """A table with one row per group and the given numeric columns."""

    columns: tuple[str, ...]
    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "a table"

    def coerce(self, value: Any) -> pd.DataFrame:
        """Turn the answer into a float DataFrame indexed by group name, columns in order."""
        if not isinstance(value, pd.DataFrame):
            raise WrongShape(f"should be {self.what} (a pandas DataFrame), but it is {describe(value)}")
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


def describe(value: Any) -> str:
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


@dataclass(frozen=True)
class PerAccount(Comparator):
    """One number per account (a Series or dict keyed by account_id), compared with a tolerance."""

    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "one number per account"

    def coerce(self, value: Any) -> pd.Series:
        """A float Series indexed by account_id and sorted by it, or WrongShape."""
        value = one_series(value, self.what)
        ids = whole_ids(value.index, "account_id", example=" such as 10001", noun="account")
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
class PerAccountLabels(Comparator):
    """A short text label per account (a Series or dict keyed by account_id); compared exactly."""

    what: str = "a label per account"

    def coerce(self, value: Any) -> dict[int, str]:
        """A dict from account_id to trimmed label, sorted by account_id, or WrongShape."""
        value = one_series(value, self.what)
        ids = whole_ids(value.index, "account_id", example=" such as 10001", noun="account")
        labels = []
        for v in value.to_numpy():
            if not isinstance(v, str | np.str_):
                raise WrongShape(f"should be {self.what} (text), but one value is {describe(v)}")
            labels.append(str(v).strip())
        return dict(sorted(zip((int(i) for i in ids), labels, strict=True)))

    def same(self, got: Mapping[int, str], expected: Mapping[int, str]) -> bool:
        """The same accounts with the same labels."""
        return dict(got) == dict(expected)


@dataclass(frozen=True)
class ByGroup(Comparator):
    """One number per named group (a Series, dict or one-column table), e.g. a churn rate per band."""

    rel: float = 1e-6
    abs: float = 1e-6
    what: str = "one number per group"

    def coerce(self, value: Any) -> dict[str, float]:
        """A dict from group name to float, sorted by name, or WrongShape."""
        value = one_series(value, self.what)
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


def whole_ids(index: Any, key: str, *, example: str = "", noun: str = "") -> pd.Index:
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


def one_series(value: Any, what: str) -> pd.Series:
    """A Series from a Series, a dict or a one-column table, or WrongShape."""
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if isinstance(value, Mapping):
        value = pd.Series(dict(value), dtype=object)
    if not isinstance(value, pd.Series):
        raise WrongShape(f"should be {what} (a pandas Series or a dict), but it is {describe(value)}")
    return value


_PER_ROW_KINDS = ("number", "count", "flag", "label")


@dataclass(frozen=True)
class PerRow(Comparator):
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
        series = one_series(value, self.what)
        ids = whole_ids(series.index, self.key)
        values = [self._one(v) for v in series.to_numpy(dtype=object)]
        dtype = {"number": float, "count": "int64", "flag": bool, "label": object}[self.kind]
        return pd.Series(values, index=ids, dtype=dtype).sort_index()

    def _one(self, v: Any) -> Any:
        if self.kind == "flag":
            if not isinstance(v, bool | np.bool_):
                raise WrongShape(f"should be {self.what}: True or False, but one value is {describe(v)}")
            return bool(v)
        if self.kind == "label":
            if not isinstance(v, str | np.str_):
                raise WrongShape(f"should be {self.what} (text), but one value is {describe(v)}")
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
class BrokenRule:
    """A known wrong answer that is a whole family of choices: every choice breaking ``rule`` on ``bar``.

    ``bar`` is any ``SelectionBar``.
    """

    rule: str
    bar: SelectionBar


@dataclass(frozen=True)
class Choice(Comparator):
    """A chosen set of ids (a list, set, array or Series of opportunity ids), judged by what it kept.

    Two choices are the same when they hold the same ids; a choice meets a ``SelectionBar`` when it breaks
    none of its rules and keeps at least its bar; it matches a ``BrokenRule`` when it breaks that rule.
    """

    key: str = "opportunity_id"
    what: str = "a list of opportunity ids"

    def coerce(self, value: Any) -> tuple[int, ...] | SelectionBar | BrokenRule:
        """Bars and broken rules pass through; an answer becomes a sorted tuple of distinct whole ids."""
        if isinstance(value, SelectionBar | BrokenRule):
            return value
        if isinstance(value, pd.DataFrame):
            if self.key not in value.columns:
                raise WrongShape(f"should be {self.what}, but it is a table without a {self.key} column")
            value = value[self.key]
        if isinstance(value, pd.Series | pd.Index | np.ndarray):
            value = list(np.asarray(value, dtype=object).ravel())
        if not isinstance(value, list | tuple | set | frozenset):
            raise WrongShape(f"should be {self.what}, but it is {describe(value)}")
        ids = []
        for v in value:
            if isinstance(v, bool | np.bool_) or not isinstance(v, Real | np.number):
                raise WrongShape(f"should be {self.what}, but one item is {describe(v)}")
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
        if isinstance(expected, SelectionBar):
            return expected.broken_rule(got) is None and expected.kept(got) >= expected.bar - 0.5
        if isinstance(expected, BrokenRule):
            return expected.bar.broken_rule(got) == expected.rule
        return isinstance(expected, tuple) and got == expected
