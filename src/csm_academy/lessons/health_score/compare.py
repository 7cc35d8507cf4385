"""How module 2 judges a health score: by how well it ranks churners below renewers on a book."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from csm_academy.metrics.health import auc
from csm_academy.questions.compare import Bar, Comparator, PerAccount


@dataclass(frozen=True)
class RankingBar(Bar):
    """What a score is judged against on one book: who churned, and the AUC range that counts as a match.

    ``mode="auc"`` matches a score whose AUC lies in [low, high]; ``mode="accounts"`` matches a score
    that does not give exactly one value for each of these accounts.
    """

    churned: pd.Series  # bool, indexed by account_id, sorted
    low: float = 0.0
    high: float = 1.0
    mode: str = "auc"


@dataclass(frozen=True)
class RanksChurners(Comparator):
    """A health score per account, judged by how well it ranks churners below renewers (AUC)."""

    what: str = "one health score per account"

    def coerce(self, value: Any) -> pd.Series | RankingBar:
        """A bar passes through; an answer becomes a float Series indexed by account_id."""
        if isinstance(value, RankingBar):
            return value
        return PerAccount(what=self.what).coerce(value)

    def same(self, got: Any, bar: Any) -> bool:
        """Whether the score ``got`` meets ``bar`` (a bar is never itself an answer)."""
        if not isinstance(got, pd.Series) or not isinstance(bar, RankingBar):
            return False
        covers = got.index.equals(bar.churned.index)
        if bar.mode == "accounts":
            return not covers
        with warnings.catch_warnings():
            # An upside-down score gets its own misconception message; the toolkit's hint about
            # higher_is_healthier is for analysts calling auc themselves, not for a trainee's check.
            warnings.simplefilter("ignore", UserWarning)
            return covers and bar.low <= auc(got, bar.churned) <= bar.high
