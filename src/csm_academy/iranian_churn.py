"""The real-data lab's data set: UCI "Iranian Churn" (3,150 telecom customers, CC BY 4.0).

Every feature aggregates months 1-9 of a 12-month window and ``churned`` is read at month 12, so any
score built from these columns warns about three months ahead by construction. The file ships in
``datasets/iranian_churn/`` with its README and licence; ``load_iranian_churn`` reads and checks it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from csm_academy.content import datasets_dir
from csm_academy.errors import CsmAcademyError

FOLDER = "iranian_churn"
FILE = "customer_churn.csv"
CITATION = 'UCI Machine Learning Repository, data set 563, "Iranian Churn Dataset" (2020), CC BY 4.0'
#: Source column (spelled as in the file, double spaces included) -> the name the course uses.
COLUMNS: dict[str, str] = {
    "Call  Failure": "call_failures",
    "Complains": "complained",
    "Subscription  Length": "subscription_months",
    "Charge  Amount": "charge_band",
    "Seconds of Use": "seconds_of_use",
    "Frequency of use": "calls",
    "Frequency of SMS": "sms",
    "Distinct Called Numbers": "numbers_called",
    "Age Group": "age_group",
    "Tariff Plan": "tariff_plan",
    "Status": "status",
    "Age": "age",
    "Customer Value": "customer_value",
    "Churn": "churned",
}
#: Features cover months 1-9 and churn is read at month 12: three months (about 91 days) of lead.
LEAD_MONTHS = 3
LEAD_DAYS = 91
#: Health components for a telecom customer, each 0-100 with higher = healthier.
COMPONENTS: tuple[str, ...] = ("usage", "breadth", "sentiment", "engagement", "tenure")
COMPONENT_MEANING: dict[str, str] = {
    "usage": "seconds of use, as a percentile of all customers",
    "breadth": "distinct numbers called, as a percentile (how widely the service is used)",
    "sentiment": "100 with no complaint on record, 0 with one",
    "engagement": "100 if the line was active in months 1-9, 0 if not",
    "tenure": "months subscribed, as a percentile (the comfort metric: 'they have been with us for years')",
}
#: The lab's value-weighted score, and a comfort score that leans on tenure (the real data's vanity signal).
VALUE_WEIGHTS: dict[str, float] = {"usage": 3, "breadth": 2, "sentiment": 2, "engagement": 3, "tenure": 0}
TENURE_WEIGHTS: dict[str, float] = {"usage": 2, "breadth": 1, "sentiment": 1, "engagement": 0, "tenure": 6}


class RealDataError(CsmAcademyError, OSError):
    """The real data set is missing, unreadable or not shaped as its README describes."""


def default_path() -> Path:
    """Where the lab expects the CSV: ``datasets/iranian_churn/customer_churn.csv``."""
    return datasets_dir() / FOLDER / FILE


def load_iranian_churn(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The data set with course column names, ``churned`` as True/False and ``customer_id`` from 1."""
    path = Path(path) if path is not None else default_path()
    hint = f"it ships with the course in datasets/{FOLDER}/ (see the README there for source and licence)"
    try:
        raw = pd.read_csv(path)
    except FileNotFoundError:
        raise RealDataError(f"{path}: file is missing; {hint}") from None
    except IsADirectoryError:
        raise RealDataError(f"{path}: is a folder, not the CSV file; {hint}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise RealDataError(f"{path}: not a readable CSV file ({exc})") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise RealDataError(f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}; {hint}")
    if raw.empty:
        raise RealDataError(f"{path}: has a header but no customers")
    frame = raw[list(COLUMNS)].rename(columns=COLUMNS)
    bad = [name for name in frame.columns if not pd.api.types.is_numeric_dtype(frame[name])]
    if bad or frame.isna().any().any():
        where = ", ".join(bad) if bad else ", ".join(frame.columns[frame.isna().any()])
        raise RealDataError(f"{path}: column(s) {where} should hold numbers in every row")
    for name, allowed in (("churned", {0, 1}), ("complained", {0, 1}), ("status", {1, 2})):
        odd = sorted(set(frame[name].unique()) - allowed)
        if odd:
            raise RealDataError(f"{path}: {name} should only be {sorted(allowed)}, found {odd[:3]}")
    frame["churned"] = frame["churned"].astype(bool)
    frame.insert(0, "customer_id", np.arange(1, len(frame) + 1))
    return frame.set_index("customer_id")


def _percentile(values: pd.Series) -> pd.Series:
    # Percentile rank on 0-100; tied customers share the average rank.
    return 100 * values.rank(pct=True, method="average")


def health_components(customers: pd.DataFrame) -> pd.DataFrame:
    """The five components (0-100, higher = healthier) for every customer, indexed like ``customers``."""
    return pd.DataFrame(
        {
            "usage": _percentile(customers["seconds_of_use"]),
            "breadth": _percentile(customers["numbers_called"]),
            "sentiment": np.where(customers["complained"] == 1, 0.0, 100.0),
            "engagement": np.where(customers["status"] == 1, 100.0, 0.0),
            "tenure": _percentile(customers["subscription_months"]),
        },
        index=customers.index,
    )


def data_quality(customers: pd.DataFrame) -> pd.Series:
    """What makes this real book messy: duplicate rows, and identical records that ended differently."""
    features = [c for c in customers.columns if c != "churned"]
    duplicates = int(customers.duplicated().sum())
    outcomes = customers.groupby(features)["churned"].nunique()
    return pd.Series(
        {
            "customers": len(customers),
            "churned": int(customers["churned"].sum()),
            "exact duplicate rows": duplicates,
            "identical records with different outcomes": int((outcomes > 1).sum()),
        }
    )
