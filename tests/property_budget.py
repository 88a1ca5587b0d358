"""Hypothesis example counts for the property tests and fuzzers.

Each test names its full count (what CI runs). Two settings lower it:
- HYPOTHESIS_PROFILE=dev (what `make test` uses unless told otherwise): a fifth of it, at least 20, for a quick
  local run; `.ci/run` sets HYPOTHESIS_PROFILE=ci, the full counts.
- MUTATION_EXAMPLES (set by `make mutation`): exactly that many per mutant (a mutant that only a rare generated
  input kills is reported as a survivor, and the explicit example tests are what close it).
"""

from __future__ import annotations

import os


def max_examples(full: int) -> int:
    value = os.environ.get("MUTATION_EXAMPLES")
    if value:
        return int(value)
    if os.environ.get("HYPOTHESIS_PROFILE") == "dev":
        return max(20, full // 5)
    return full
