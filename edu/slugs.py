"""Slugs: the lowercase ASCII ids made of words and hyphens that name banks, clinics, imported questions and tags in
addresses and files ("trigger-points-upper-body").

One rule for all of them, so a bank, a clinic and a question made from the same words get the same id. Accents are
folded rather than dropped (Müller -> muller); anything else that is not a letter or a digit separates words.
A long slug is cut between words, never inside one. What to use when nothing is left ('bank', 'clinic',
'question') is the caller's decision.

The heading anchors of lessons are not made here: see `edu.content.render`, whose ids are already published.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["slugify"]

_SEPARATORS = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 60) -> str:
    """Lowercase ASCII letters and digits joined by single hyphens, at most `max_length` long; '' when nothing is
    left. The text is taken as written: strip HTML first where it may carry some (`edu.interchange.report.plain`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SEPARATORS.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug.strip("-")
