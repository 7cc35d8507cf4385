"""How long each course and exercise notebook takes to run top to bottom, kernel start included.

Run: python benchmarks/bench_notebooks.py [--repeat 3]
Also times every check of module 1 (what a trainee waits on after pressing Shift-Enter).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "course").glob("*.ipynb")) + sorted((REPO / "exercises" / "source").glob("*/*.ipynb"))


def run_once(path: Path) -> float:
    """Seconds to start a kernel, run every cell and shut down."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def check_latency() -> dict[str, float]:
    """Milliseconds per check of each module 1 question, on the reference answer."""
    from csm_academy.lessons import nrr_math

    ex = nrr_math.exercise()
    ns = {
        "nrr": nrr_math.nrr_of,
        "grr": nrr_math.grr_of,
        "logo_retention": nrr_math.logo_retention_of,
        "retention_by_segment": nrr_math.retention_table_of,
        "bridge_from_mrr": nrr_math.bridge_from_mrr,
        "segment_masking_churn": nrr_math.segment_masking_churn_of,
        "churn_masked_by_expansion": nrr_math.masked_churn_of,
    }
    out = {}
    for q in nrr_math.QUESTIONS:
        start = time.perf_counter()
        for _ in range(5):
            # the reference lives in the package, so bypass the "borrowed" guard by wrapping it
            q.evaluate(lambda *a, f=ns[q.answer]: f(*a), ex.book)
        out[q.qid] = 1000 * (time.perf_counter() - start) / 5
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'notebook':<45} {'best s':>7} {'median s':>9}")
    for path in NOTEBOOKS:
        times = [run_once(path) for _ in range(args.repeat)]
        print(f"{str(path.relative_to(REPO)):<45} {min(times):>7.2f} {statistics.median(times):>9.2f}")
    print()
    for qid, ms in check_latency().items():
        print(f"check {qid:<32} {ms:>7.1f} ms")


if __name__ == "__main__":
    main()
