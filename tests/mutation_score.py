"""One module's mutation score from `mutmut results --all true` (read on stdin); `make mutation` calls it.

Prints the score over every mutant mutmut ran, then the score without the survivors reviewed as equivalent (listed
with their one-line argument in tests/mutation_equivalents.txt), names every other survivor, and exits 1 when
that second score is below --minimum or the run is incomplete.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.txt")
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}
UNDETECTED = {"survived", "no tests", "suspicious"}


def reviewed_equivalents() -> dict[str, str]:
    """mutant name -> why it cannot change behaviour."""
    out: dict[str, str] = {}
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            out[name] = reason.strip()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module", help="path of the mutated module, such as edu/quizzes/grading.py")
    parser.add_argument("--minimum", type=float, default=95.0, help="lowest acceptable score without equivalents (%%)")
    args = parser.parse_args()
    prefix = args.module.removesuffix(".py").replace("/", ".") + "."

    status: dict[str, str] = {}
    for line in sys.stdin:
        name, sep, state = line.strip().rpartition(": ")
        if sep and name.startswith(prefix):
            status[name] = state
    if not status:
        print(f"{args.module}: no mutants (is it in [tool.mutmut] only_mutate?)")
        return 1
    counts = Counter(status.values())
    detected = sum(counts[s] for s in DETECTED)
    scored = detected + sum(counts[s] for s in UNDETECTED)
    unscored = len(status) - scored
    equivalents = reviewed_equivalents()
    survivors = sorted(n for n, s in status.items() if s in UNDETECTED)
    equivalent = [n for n in survivors if n in equivalents]
    open_survivors = [n for n in survivors if n not in equivalents]
    stale = sorted(n for n in equivalents if n.startswith(prefix) and n not in survivors)

    raw = 100 * detected / scored if scored else 0.0
    net = 100 * detected / (scored - len(equivalent)) if scored > len(equivalent) else 100.0
    print(
        f"{args.module}: {len(status)} mutants, {detected} detected, {len(survivors)} survived"
        f"{f', {unscored} not run' if unscored else ''}: score {raw:.1f} % ({detected}/{scored}); "
        f"without {len(equivalent)} reviewed equivalent: {net:.1f} % ({detected}/{scored - len(equivalent)})"
    )
    for name in open_survivors:
        print(f"    survived, not reviewed: {name} ({status[name]}); see `mutmut show {name}`")
    for name in stale:
        print(f"    listed as equivalent but not a survivor now (remove or renumber it): {name}")
    if unscored:
        print(f"    {unscored} mutants were not run to the end: {dict(counts)}")
    return 0 if net >= args.minimum and not unscored else 1


if __name__ == "__main__":
    sys.exit(main())
