"""The roster as CSV and as a landscape PDF table, with a verification link per certificate.

One line per person and course, so a spreadsheet can filter and pivot it. The PDF follows the certificates'
transcript (edu/certificates/pdf.py): ReportLab platypus, the same colours, text folded by `pdf_text` for the
built-in fonts, a table that splits across pages with its header repeated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from edu import presentation
from edu.certificates.pdf import ACCENT, INK, MUTED, RULE, pdf_text, running_footer
from edu.presentation import format_hours

from .bulk_verification import BulkRow
from .roster import StaffRow
from .staff_roster import Roster

CSV_HEADER = [
    "Name",
    "Email (as invited)",
    "Course",
    "Status",
    "Lessons read (%)",
    "Certificate code",
    "CE hours",
    "Expires",
    "Days left",
    "Verification link",
    "Total CE hours earned",
]


def csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; a leading apostrophe keeps them text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def filename(clinic_slug: str, kind: str, today: date, extension: str) -> str:
    return f"{clinic_slug}-{kind}-{today.isoformat()}.{extension}"


def _lines(report: Roster, rows: Sequence[StaffRow], verify_url: Callable[[str], str]) -> list[list[str]]:
    out = []
    for row in rows:
        for course in report.courses:
            status = row.statuses[course.id]
            certificate = status.certificate
            out.append(
                [
                    csv_safe(row.name),
                    csv_safe(row.invited_email),
                    csv_safe(course.title),
                    status.label,
                    str(status.percent) if status.status in ("in_progress", "not_started") else "",
                    certificate.code if certificate else "",
                    format_hours(certificate.ce_hours) if certificate else "",
                    certificate.expiry_date.isoformat() if certificate and certificate.expiry_date else "",
                    str(status.days_left) if status.days_left is not None else "",
                    verify_url(certificate.code) if certificate else "",
                    format_hours(row.hours),
                ]
            )
    return out


def roster_csv(report: Roster, rows: Sequence[StaffRow], verify_url: Callable[[str], str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_lines(report, rows, verify_url))
    return buffer.getvalue()


def bulk_csv(rows: Sequence[BulkRow], verify_url: Callable[[str], str]) -> str:
    labels = {"valid": "Valid", "expired": "Expired", "revoked": "Revoked", "not_found": "Not found", "error": "Error"}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        ["Row", "As entered", "Code", "Result", "Name", "Course", "CE hours", "Expires", "Problem", "Verification link"]
    )
    for row in rows:
        found = row.outcome.certificate if row.outcome else None
        writer.writerow(
            [
                str(row.row),
                csv_safe(row.raw),
                row.code or "",
                labels[row.state],
                csv_safe(found.learner_name) if found else "",
                csv_safe(found.course_title) if found else "",
                format_hours(found.ce_hours) if found else "",
                found.expiry_date.isoformat() if found and found.expiry_date else "",
                row.error or (row.outcome.problem if row.outcome and row.outcome.problem else "") or "",
                verify_url(found.code) if found else "",
            ]
        )
    return buffer.getvalue()


def roster_pdf(
    report: Roster,
    rows: Sequence[StaffRow],
    verify_url: Callable[[str], str],
    *,
    provider: str = "",
    compress: bool = True,
) -> bytes:
    buffer = io.BytesIO()
    clinic = pdf_text(report.clinic.name)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(LETTER),
        leftMargin=0.5 * inch,
        rightMargin=0.5 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.7 * inch,
        title=f"Staff CE roster: {clinic}",
        author=pdf_text(provider),
        subject="Continuing education compliance roster",
        pageCompression=1 if compress else 0,
    )
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=8.5, leading=10.5, textColor=INK)
    heading = ParagraphStyle("heading", parent=base, fontName="Helvetica-Bold", fontSize=18, leading=22, textColor=ACCENT)
    muted = ParagraphStyle("muted", parent=base, textColor=MUTED, fontSize=9.5, leading=12)
    head = ParagraphStyle("head", parent=base, fontName="Helvetica-Bold", textColor=colors.white)
    link_style = ParagraphStyle("link", parent=base, textColor=ACCENT, fontSize=7.5, leading=9)

    def para(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(pdf_text(text)), style)

    story: list[Flowable] = [
        para(f"Staff CE roster: {report.clinic.name}", heading),
        Spacer(1, 4),
        para(
            f"Generated {presentation.day(report.today)}. Expiring soon: within {report.window_days} days. "
            "Only staff who agreed to share their records with the clinic are listed.",
            muted,
        ),
        Spacer(1, 10),
    ]
    data: list[list[Flowable | str]] = [
        [para(h, head) for h in ("Name", "Course", "Status", "Lessons", "Code", "CE hours", "Expires", "Verify")]
    ]
    for line in _lines(report, rows, verify_url):
        name, _email, course, status, percent, code, hours, expires, days_left, url, _total = line
        expiry = presentation.day(date.fromisoformat(expires)) if expires else ""
        if days_left and status == "Expiring soon":
            expiry += f" ({days_left} days)"
        link: Flowable | str = Paragraph(f"<link href={quoteattr(url)}>{escape(pdf_text(url))}</link>", link_style) if url else ""
        data.append(
            [
                para(name.lstrip("'")),
                para(course.lstrip("'")),
                para(status),
                para(f"{percent}%" if percent else ""),
                para(code),
                para(hours),
                para(expiry),
                link,
            ]
        )
    usable = doc.width
    widths = [0.15, 0.2, 0.09, 0.06, 0.1, 0.06, 0.12, 0.22]
    table = Table(data, colWidths=[w * usable for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story.append(table)
    if not rows:
        story += [Spacer(1, 10), para("No staff to list.", muted)]

    footer = running_footer(f"{clinic}: staff CE roster, {presentation.day(report.today)}", 0.4 * inch)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
