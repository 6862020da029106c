#!/usr/bin/env python3
"""Writes Tests/Fixtures/mannwhitney/pairs.json: sample pairs and scipy's two-sided Mann-Whitney p-values.

MannWhitneyTests checks qbench's MannWhitney.test against every pair (within 1e-9). Run once, from the repository
root, in a venv with scipy (the version is recorded in the file):

    python3 -m venv /tmp/scipyvenv && /tmp/scipyvenv/bin/pip install scipy
    /tmp/scipyvenv/bin/python Tests/Scripts/mannwhitney_fixture.py

The pairs are nanosecond-like integers from a seeded generator: sizes 3..200, exact cases (one sample of at most 8
values and no ties), asymptotic cases, heavy ties (coarse values), identical samples and complete separation.
"""
import json
import os

import numpy as np
import scipy
from scipy.stats import mannwhitneyu

OUT = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "mannwhitney", "pairs.json")


def distinct(rng, n, loc, scale):
    """n integer samples without repeats (so the exact method applies)."""
    values = set()
    while len(values) < n:
        values.add(int(rng.normal(loc, scale)))
    return sorted(values, key=lambda _: rng.random())


def main():
    rng = np.random.default_rng(20261203)
    pairs = []

    def add(name, x, y):
        x = [int(v) for v in x]
        y = [int(v) for v in y]
        r = mannwhitneyu(x, y, alternative="two-sided", method="auto")
        n1, n2 = len(x), len(y)
        ties = len(set(x + y)) < n1 + n2
        method = "exact" if (min(n1, n2) <= 8 and not ties) else "asymptotic"
        pairs.append({"name": name, "x": x, "y": y, "u1": float(r.statistic), "p": float(r.pvalue),
                      "method": method})

    # Exact: small samples, no ties.
    for n1, n2, shift in [(3, 3, 0), (3, 5, 500), (4, 4, 50), (5, 7, 100), (6, 6, 0), (7, 8, 300),
                          (8, 8, 150), (3, 40, 200), (5, 200, 80), (8, 60, 40)]:
        pool = distinct(rng, n1 + n2, 10_000, 400)
        x = [v + shift for v in pool[:n1]]
        y = pool[n1:]
        # Shifting may create a tie with y; nudge until none.
        while len(set(x + y)) < n1 + n2:
            x = [v + 1 for v in x]
        add(f"exact {n1}x{n2} shift {shift}", x, y)
    # Complete separation, exact.
    add("exact separated 3x3", [100, 101, 102], [200, 201, 202])
    add("exact separated 8x8", list(range(1000, 1008)), list(range(2000, 2008)))
    # Asymptotic, no ties, both samples larger than 8.
    for n1, n2, shift in [(9, 9, 0), (10, 12, 200), (30, 30, 1500), (50, 80, 20), (200, 200, 400), (100, 150, 0), (12, 15, 3000)]:
        pool = distinct(rng, n1 + n2, 50_000, 2_000)
        add(f"asymptotic {n1}x{n2} shift {shift}", [v + shift for v in pool[:n1]], pool[n1:])
    # Ties: coarse values (timer granularity), small and large.
    for n1, n2, step in [(3, 4, 100), (5, 5, 50), (8, 12, 100), (10, 10, 25), (40, 60, 100), (200, 180, 500)]:
        x = [int(round(rng.normal(10_000, 300) / step) * step) for _ in range(n1)]
        y = [int(round(rng.normal(10_100, 300) / step) * step) for _ in range(n2)]
        add(f"ties {n1}x{n2} step {step}", x, y)
    # Identical samples and all values equal.
    s = [int(v) for v in rng.integers(5_000, 6_000, 20)]
    add("identical 20x20", s, list(s))
    add("all equal 5x7", [7000] * 5, [7000] * 7)
    add("identical 3x3 distinct", [10, 20, 30], [10, 20, 30])

    doc = {
        "generator": "Tests/Scripts/mannwhitney_fixture.py",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "call": "scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='auto')",
        "pairs": pairs,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{len(pairs)} pairs written to {os.path.normpath(OUT)} (scipy {scipy.__version__})")


if __name__ == "__main__":
    main()
