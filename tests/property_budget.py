"""Hypothesis example counts for the property tests of the pure cores.

Each test keeps its own default. `make mutation` runs every mutant against these tests and lowers the count
through MUTATION_EXAMPLES (a mutant that only a rare generated input kills is reported as a survivor, and
the explicit example tests are what close it); an ordinary run never sets it.
"""

from __future__ import annotations

import os


def max_examples(default: int) -> int:
    value = os.environ.get("MUTATION_EXAMPLES")
    return int(value) if value else default
