"""Forms of the learner's quiz pages.

The attempt form is dynamic (one group of controls per drawn question), so it has no WTForms class: CSRFProtect
checks its token (rendered with the csrf_field() macro, like every button-only form) and `responses_from_form`
turns the posted fields into the raw responses that grading.normalise_response validates. Field names: `q<slot>`
(single, true/false, short answer, numeric; repeated for multiple), `q<slot>-<pair id>` (matching) and
`q<slot>-<item id>` holding a position (ordering).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from .pages import ItemView

INVALID_ORDER = ["?"]
"""An ordering response no question accepts: positions left incomplete or repeated are refused, not guessed."""


def ordering_from_positions(item_ids: Iterable[str], positions: dict[str, str]) -> list[str] | None:
    """Item ids by the positions chosen for them; None when all are blank; INVALID_ORDER when incomplete."""
    ids = list(item_ids)
    chosen = {i: (positions.get(i) or "").strip() for i in ids}
    if not any(chosen.values()):
        return None
    try:
        numbers = {i: int(v) for i, v in chosen.items()}
    except ValueError:
        return INVALID_ORDER
    if sorted(numbers.values()) != list(range(1, len(ids) + 1)):
        return INVALID_ORDER
    return sorted(ids, key=lambda i: numbers[i])


def responses_from_form(items: Iterable[ItemView], form: MultiDict[str, str]) -> dict[int, Any]:
    """The raw response to every question on the page (blank ones clear a saved answer)."""
    raws: dict[int, Any] = {}
    for item in items:
        name = f"q{item.slot}"
        if item.type == "multiple":
            raws[item.slot] = form.getlist(name)
        elif item.type == "matching":
            raws[item.slot] = {p.id: form.get(f"{name}-{p.id}", "") for p in item.pairs}
        elif item.type == "ordering":
            raws[item.slot] = ordering_from_positions(
                (c.id for c in item.choices), {c.id: form.get(f"{name}-{c.id}", "") for c in item.choices}
            )
        else:
            raws[item.slot] = form.get(name, "")
    return raws
