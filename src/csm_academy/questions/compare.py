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
