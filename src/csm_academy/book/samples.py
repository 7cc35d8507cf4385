"""The committed sample books in ``datasets/`` and the generated part of their data card."""

from __future__ import annotations

import filecmp
import tempfile
from pathlib import Path

from csm_academy import constants as C
from csm_academy.book.generate import generate_book
from csm_academy.book.io import write_book
from csm_academy.book.schema import TABLES
from csm_academy.content import datasets_dir

#: name -> (seed, accounts). Truth is included: samples are for teaching, never for grading.
SAMPLES: dict[str, tuple[int, int]] = {
    "tiny-40": (7, 40),
    "starter-500": (2025, 500),
}
CARD_BEGIN = "<!-- BEGIN GENERATED: tables (csm-academy samples) -->"
CARD_END = "<!-- END GENERATED: tables -->"


def schema_markdown() -> str:
    """Markdown tables describing every table and column, straight from the schema."""
    parts = []
    for table in TABLES:
        hidden = " (hidden truth: never handed to graded trainee code)" if table.hidden else ""
        parts.append(f"### `{table.name}.csv`{hidden}\n\nOne row is {table.row}.\n")
        parts.append("| column | type | unit | meaning |\n| --- | --- | --- | --- |")
        for col in table.columns:
            parts.append(f"| `{col.name}` | {col.kind} | {col.unit} | {col.meaning} |")
        parts.append("")
    bands = ["| segment | NRR band | GRR band |", "| --- | --- | --- |"]
    for seg, b in C.BENCHMARK_BANDS.items():
        bands.append(f"| {seg} | {b['nrr'][0]:.0%}–{b['nrr'][1]:.0%} | {b['grr'][0]:.0%}–{b['grr'][1]:.0%} |")
    lo, hi = C.BLENDED_LOGO_CHURN_BAND
    bands.append(f"\nBlended annual logo churn: {lo:.0%}–{hi:.0%}.")
    return "\n".join(parts) + "\n### Benchmark bands the generator is tuned to\n\n" + "\n".join(bands) + "\n"


def _with_card(text: str) -> str:
    head, _, rest = text.partition(CARD_BEGIN)
    _, _, tail = rest.partition(CARD_END)
    return f"{head}{CARD_BEGIN}\n\n{schema_markdown()}\n{CARD_END}{tail}"


def write_samples(folder: Path | None = None) -> list[Path]:
    """Regenerate every sample book and the data card's generated section."""
    root = folder or datasets_dir()
    written = []
    for name, (seed, n) in SAMPLES.items():
        written.append(write_book(generate_book(seed, n), root / name, replace=True))
    card = root / "README.md"
    if card.exists() and CARD_BEGIN in card.read_text():
        card.write_text(_with_card(card.read_text()))
    return written


def stale_samples() -> list[str]:
    """Files under ``datasets/`` that differ from what the generator makes now (empty if current)."""
    stale = []
    root = datasets_dir()
    with tempfile.TemporaryDirectory() as tmp:
        for name, (seed, n) in SAMPLES.items():
            fresh = write_book(generate_book(seed, n), Path(tmp) / name)
            for f in sorted(fresh.iterdir()):
                committed = root / name / f.name
                if not committed.exists() or not filecmp.cmp(f, committed, shallow=False):
                    stale.append(f"{name}/{f.name}")
    card = root / "README.md"
    if not card.exists() or _with_card(card.read_text()) != card.read_text():
        stale.append("README.md (generated tables section)")
    return stale
