"""The doctor's figure of merit: the confusion table over the honest suite (tests/doctor_cases.py).

For each broken set-up: 'right' (its expected finding is among the findings), 'wrong' (findings,
but not the expected one) or 'missed' (no finding). For each healthy set-up: 'clean' or 'false
alarm'. Extra findings on a broken set-up (a NaN that a too-high learning rate also causes, say)
are counted separately.

    PYTHONPATH=. python benchmarks/doctor_confusion.py [--markdown]
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

import doctor_cases as dc  # noqa: E402


def confusion():
    rows, table = [], {"right": 0, "wrong": 0, "missed": 0, "false alarm": 0, "clean": 0}
    extra = 0
    for name, code, builder in dc.BROKEN:
        t = time.perf_counter()
        codes = dc.run_case(builder).codes
        verdict = "right" if code in codes else ("wrong" if codes else "missed")
        extra += len([c for c in codes if c != code])
        table[verdict] += 1
        rows.append((name, code, codes, verdict, time.perf_counter() - t))
    for name, builder in dc.HEALTHY:
        t = time.perf_counter()
        codes = dc.run_case(builder).codes
        verdict = "false alarm" if codes else "clean"
        table[verdict] += 1
        rows.append((name, "-", codes, verdict, time.perf_counter() - t))
    return rows, table, extra


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rows, table, extra = confusion()
    md = "--markdown" in argv
    if md:
        print("| set-up | expected | findings | verdict |\n|---|---|---|---|")
    for name, code, codes, verdict, secs in rows:
        if md:
            print(f"| {name} | {code} | {', '.join(codes) or '-'} | {verdict} |")
        else:
            print(f"{name:28s} {code:22s} {verdict:12s} {','.join(codes) or '-'} ({secs:.1f} s)")
    print()
    print(
        f"broken set-ups {len(dc.BROKEN)}: right {table['right']}, wrong {table['wrong']}, "
        f"missed {table['missed']} (extra findings besides the right one: {extra})"
    )
    print(
        f"healthy set-ups {len(dc.HEALTHY)}: clean {table['clean']}, "
        f"false alarm {table['false alarm']}"
    )


if __name__ == "__main__":
    main()
