"""The ``Book``: the tables of one synthetic book of accounts, with or without its hidden truth."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pandas as pd

#: Tables a CSM can see, in the order they are written and documented.
OBSERVABLE_TABLES: tuple[str, ...] = (
    "accounts",
    "usage",
    "stakeholders",
    "tickets",
    "surveys",
    "renewals",
    "opportunities",
    "new_logos",
)


@dataclass(frozen=True)
class Book:
    """One book of accounts: observable tables, plus ``truth`` unless it was taken away."""

    seed: int
    accounts: pd.DataFrame
    usage: pd.DataFrame
    stakeholders: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame
    renewals: pd.DataFrame
    opportunities: pd.DataFrame
    new_logos: pd.DataFrame
    truth: pd.DataFrame | None = None

    def observable(self) -> Book:
        """A copy with only what a CSM can see: the hidden truth is left out."""
        copies = {name: getattr(self, name).copy() for name in OBSERVABLE_TABLES}
        return replace(self, truth=None, **copies)

    @property
    def has_truth(self) -> bool:
        """Whether this book still carries its hidden truth."""
        return self.truth is not None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table this book holds, by name (``truth`` only when present)."""
        out = {name: getattr(self, name) for name in OBSERVABLE_TABLES}
        if self.truth is not None:
            out["truth"] = self.truth
        return out

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(df):,}" for name, df in self.tables().items())
        return f"Book(seed={self.seed}, {sizes})"


TABLE_FIELDS = tuple(f.name for f in fields(Book) if f.name != "seed")
