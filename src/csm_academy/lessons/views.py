"""How lessons hand tables to trainees and to their reference answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from csm_academy.book.book import Book
from csm_academy.questions.memo import handed


def plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain strings: categoricals surprise trainees in groupby and comparisons."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(str)
    return out


def applied(inputs: Callable[[Book], tuple], fn: Callable[..., Any]) -> Callable[[Book], Any]:
    """``fn`` run on what a question's ``inputs`` hand the trainee from a book (a reference or a mistake)."""
    return lambda book: fn(*handed(inputs, book))
