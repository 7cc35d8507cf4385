"""Every number and name the course shares: segments, dates, benchmark bands, model parameters."""

from __future__ import annotations

import datetime as dt

SEGMENTS: tuple[str, ...] = ("SMB", "Mid-Market", "Enterprise")
DEFAULT_SEGMENT_MIX: dict[str, float] = {"SMB": 0.60, "Mid-Market": 0.30, "Enterprise": 0.10}

#: The measured year: every account in a book was a customer on its first day.
YEAR_START = dt.date(2025, 1, 1)
YEAR_END = dt.date(2025, 12, 31)
MEASURED_YEAR = 2025
#: Cohorts are the calendar years in which accounts first signed.
COHORT_YEARS: tuple[int, ...] = (2018, 2019, 2020, 2021, 2022, 2023, 2024)

INDUSTRIES: tuple[str, ...] = (
    "Logistics",
    "Healthcare",
    "Financial Services",
    "Retail",
    "Manufacturing",
    "Software",
    "Education",
    "Field Services",
)
#: The product is a spend-and-workflow platform; field-service scheduling is the workflow it was
#: never built for, so that industry is mis-sold far more often.
MISFIT_INDUSTRY = "Field Services"

FEATURES_TOTAL = 12  # product features an account can adopt ("adoption breadth")
SUCCESS_MILESTONES = 8  # milestones in every account's mutual success plan

#: Published retention bands the default book is built to land in, over a large book.
#: Sources: SaaS Capital 2023 retention benchmarks by contract size; Bessemer State of the Cloud;
#: KeyBanc (KBCM) private SaaS company survey. Percentages of starting ARR.
BENCHMARK_BANDS: dict[str, dict[str, tuple[float, float]]] = {
    "SMB": {"nrr": (0.95, 1.02), "grr": (0.82, 0.90)},
    "Mid-Market": {"nrr": (1.00, 1.08), "grr": (0.88, 0.93)},
    "Enterprise": {"nrr": (1.05, 1.15), "grr": (0.91, 0.95)},
}
BLENDED_LOGO_CHURN_BAND: tuple[float, float] = (0.08, 0.15)

# Rules of thumb from the course's domain sources, used by checks and teaching notebooks.
BUYER_CONTACT_QUARTER_DAYS = 90  # no buyer contact in a quarter = renewal less safe than it looks
RENEWAL_PREP_DAYS = 120  # renewal work starts about 120 days out
