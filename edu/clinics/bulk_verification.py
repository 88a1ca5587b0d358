"""Bulk verification: a clinic checks a list of certificate codes at once, pasted or uploaded as CSV.

Each code goes through the public verification service (edu.certificates.verification), logged like any other
look-up, so a clinic learns exactly what anyone holding the code could learn on the public page, whether or not the
person is on its staff: consent does not come into it. Reading the list is pure (parse_pasted, parse_csv,
check_entries): every row that cannot be looked up is reported with its reason, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edu.auth.models import User
from edu.certificates import verification
from edu.certificates.snapshot import InvalidCode, normalise_code
from edu.errors import Invalid

from . import policy
from .models import Clinic

MAX_BULK_ROWS = 500
MAX_UPLOAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class BulkRow:
    row: int
    """The line (pasted text) or row (CSV) number, from 1."""
    raw: str
    code: str | None = None
    error: str | None = None
    outcome: verification.Outcome | None = None

    @property
    def state(self) -> str:
        if self.error is not None:
            return "error"
        return self.outcome.state if self.outcome else "not_found"


def parse_pasted(text: str) -> list[tuple[int, str]]:
    """One code per line, or several separated by commas or semicolons. Blank lines are not rows; an empty item
    between two commas is (and is reported)."""
    entries: list[tuple[int, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        for item in re.split(r"[,;]", line):
            entries.append((number, item.strip()))
    return entries


def parse_csv(data: bytes) -> list[tuple[int, str]]:
    """A column named `code` (any case), else the first column. Blank rows are skipped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not a UTF-8 CSV file. Save it as CSV (UTF-8) and try again.") from None
    if "\x00" in text:
        raise Invalid("The file is not a CSV file.")
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Invalid(f"The CSV file could not be read: {exc}.") from None
    column, start = 0, 0
    if table:
        header = [cell.strip().lower() for cell in table[0]]
        if "code" in header:
            column, start = header.index("code"), 1
    entries = []
    for number, cells in enumerate(table[start:], start=start + 1):
        if not any(cell.strip() for cell in cells):
            continue
        entries.append((number, cells[column].strip() if column < len(cells) else ""))
    return entries


def check_entries(entries: Sequence[tuple[int, str]]) -> list[BulkRow]:
    """Normalise every code and mark what cannot be looked up: empty, malformed (with the reason), duplicate."""
    if len(entries) > MAX_BULK_ROWS:
        raise Invalid(
            f"You sent {len(entries)} codes; at most {MAX_BULK_ROWS} can be checked at once. Split the list and try again."
        )
    if not entries:
        raise Invalid("Paste at least one certificate code, or upload a CSV file with a column named code.")
    seen: dict[str, int] = {}
    rows = []
    for number, raw in entries:
        shown = raw[:80]
        if not raw:
            rows.append(BulkRow(number, shown, error="Empty: no code here."))
            continue
        try:
            code = normalise_code(raw[:200])
        except InvalidCode as exc:
            rows.append(BulkRow(number, shown, error=str(exc)))
            continue
        if code in seen:
            rows.append(BulkRow(number, shown, code, error=f"Duplicate of row {seen[code]}: checked once."))
            continue
        seen[code] = number
        rows.append(BulkRow(number, shown, code))
    return rows


def bulk_verify(
    actor: User,
    clinic: Clinic,
    rows: Sequence[BulkRow],
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    secret: str = "",
    now: datetime | None = None,
) -> list[BulkRow]:
    """Look up every well-formed code through the public verification service (logged, via 'bulk'): a clinic
    learns exactly what anyone holding the code could learn on the public page, whether or not the person is on
    its staff."""
    policy.require_admin(actor, clinic)
    checked = []
    for row in rows:
        if row.error is not None or row.code is None:
            checked.append(row)
            continue
        outcome = verification.lookup(row.code, via="bulk", ip=ip, user_agent=user_agent, secret=secret, now=now)
        checked.append(BulkRow(row.row, row.raw, row.code, outcome=outcome))
    return checked
