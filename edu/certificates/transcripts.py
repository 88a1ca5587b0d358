"""The learner's CE transcript: every certificate they hold with its CE hours, for the transcript page, its PDF
(pdf.py) and a CSV a licensing board or a spreadsheet can take. A reissue's hours count once, through the
replacement; revoked certificates are listed and not counted. A CSV cell holds text a learner or an author wrote,
so it is kept from running as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from edu.auth.models import User
from edu.db import session, utcnow

from .models import Certificate
from .pdf import TranscriptRow


@dataclass(frozen=True)
class Transcript:
    learner_name: str
    certificates: list[Certificate]
    rows: list[TranscriptRow]

    @property
    def total(self) -> Decimal:
        return sum((r.ce_hours for r in self.rows if r.counts), Decimal(0))


def transcript(user: User, today: date | None = None) -> Transcript:
    """Every certificate with its CE hours (one query); a reissue's hours count once, through the replacement."""
    today = today or utcnow().date()
    certificates = list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id, Certificate.status != "superseded")
            .order_by(Certificate.completion_date, Certificate.id)
        )
    )
    rows = [
        TranscriptRow(c.course_title, c.course_version, c.completion_date, Decimal(c.ce_hours), c.state_on(today), c.code)
        for c in certificates
    ]
    return Transcript(user.name, certificates, rows)


def transcript_csv(record: Transcript) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Course", "Version", "Completed", "CE hours", "Status", "Certificate code", "Expires"])
    for certificate, row in zip(record.certificates, record.rows, strict=True):
        writer.writerow(
            [
                _csv_safe(row.course_title),
                _csv_safe(row.course_version),
                row.completion_date.isoformat(),
                format(row.ce_hours.normalize(), "f"),
                row.status,
                row.code,
                certificate.expiry_date.isoformat() if certificate.expiry_date else "",
            ]
        )
    writer.writerow(["Total (excluding revoked)", "", "", format(record.total.normalize(), "f"), "", "", ""])
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; a leading apostrophe keeps them text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
