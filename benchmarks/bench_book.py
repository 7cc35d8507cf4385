"""How long book generation takes and how much memory it peaks at, by number of accounts.

Run: python benchmarks/bench_book.py [--sizes 500,10000,100000,1000000] [--repeat 3]
Each size runs in a fresh process so the peak memory figure belongs to that size alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = """
import json, resource, sys, time
import csm_academy as ca
n, repeat = int(sys.argv[1]), int(sys.argv[2])
ca.generate_book(0, 100)  # imports and first-call costs are not the generator's
times = []
for i in range(repeat):
    t = time.perf_counter(); book = ca.generate_book(2025 + i, n); times.append(time.perf_counter() - t)
    del book
rows = 0
print(json.dumps({"n": n, "best_s": min(times), "median_s": sorted(times)[len(times) // 2],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="500,10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'accounts':>10} {'best s':>8} {'median s':>9} {'peak MiB':>9} {'us/account':>11}")
    for n in (int(x) for x in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(args.repeat)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['n']:>10,} {r['best_s']:>8.3f} {r['median_s']:>9.3f} {r['peak_mib']:>9.0f}"
            f" {1e6 * r['best_s'] / r['n']:>11.2f}"
        )


if __name__ == "__main__":
    main()
