"""The printable certificate and the CE transcript, drawn with ReportLab's built-in Helvetica.

Built-in fonts need no files and no downloads, but they only cover Windows-1252 (Western European). A
character outside it would print as a black box, so text is folded first: accents that need a separate
glyph lose them (Ł -> L), and anything with no Latin form prints as "?". The exact name is still in the
signed credential; embedding a Unicode TrueType font is the fix if learners' names need more.

The certificate is drawn on a canvas rather than flowed with platypus because everything on it has a fixed
place; the transcript is a table of unknown length, so it uses platypus, which splits it across pages.
The QR symbol is drawn as vector rectangles from segno's matrix: sharp at any print size, no image codec.

A certificate that no longer stands (revoked, replaced or expired) is still printable: the learner may need the
record, and staff open it to answer questions. It is stamped across the page and in a banner at the top with what
happened and when (`Stamp`), so a copy downloaded afterwards cannot pass for a valid one; the words are real text,
which a screen reader and a text search find.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import LETTER, landscape, portrait
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from edu import presentation
from edu.presentation import format_hours

from .qr import QUIET_ZONE, qr_matrix
from .snapshot import CertificateSnapshot

__all__ = [
    "TRANSCRIPT_STATUSES",
    "Stamp",
    "TranscriptRow",
    "expired_stamp",
    "pdf_text",
    "render_certificate_pdf",
    "render_transcript_pdf",
    "revoked_stamp",
    "transcript_total",
]

INK = colors.HexColor("#1d2b36")
ACCENT = colors.HexColor("#1f5f6b")
MUTED = colors.HexColor("#5b6770")
RULE = colors.HexColor("#b7c4c9")
REVOKED = colors.HexColor("#f1e4e4")
STAMP = colors.HexColor("#a4161a")

# Letters with a stroke or bar have no decomposition, so NFKD alone cannot fold them.
_FALLBACKS = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŧ": "T", "ŧ": "t", "Ŋ": "N", "ŋ": "n"}
)


def _printable(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def pdf_text(text: str) -> str:
    """Text the built-in fonts can actually draw: see the module docstring."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text).translate(_FALLBACKS):
        if unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        if _printable(ch):
            out.append(ch)
            continue
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c) and _printable(c))
        out.append(folded or "?")
    return "".join(out)


def _hours_phrase(hours: Decimal) -> str:
    unit = "contact hour" if hours == 1 else "contact hours"
    return f"{format_hours(hours)} {unit} (CE)"


def _fit_size(text: str, font: str, size: float, max_width: float, min_size: float) -> float:
    while size > min_size and stringWidth(text, font, size) > max_width:
        size -= 0.5
    return size


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Dark modules as one rectangle per horizontal run; the quiet zone is left white around them."""
    matrix = qr_matrix(url)
    modules = len(matrix) + 2 * QUIET_ZONE
    step = size / modules
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        top = y + size - (r + QUIET_ZONE + 1) * step
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(x + (start + QUIET_ZONE) * step, top, (c - start) * step, step, stroke=0, fill=1)
    canvas.restoreState()


@dataclass(frozen=True, slots=True)
class Stamp:
    """What is printed across a certificate that no longer stands."""

    word: str
    """The one word drawn large across the page: REVOKED or EXPIRED."""
    line: str
    """The sentence in the banner: what happened, when and (for a revocation) why."""


def revoked_stamp(on: date | datetime | None, reason: str) -> Stamp:
    """`reason`: the revocation category in plain words (never the staff's free-text note). Every revocation
    records its time; a row without one (imported by hand) is still stamped, without a date."""
    when = f" on {presentation.day(on)}" if on is not None else ""
    return Stamp("REVOKED", f"REVOKED{when} — {reason}" if reason else f"REVOKED{when}")


def expired_stamp(on: date) -> Stamp:
    """`on`: the expiry date, the first day on which the certificate is no longer valid."""
    return Stamp("EXPIRED", f"EXPIRED on {presentation.day(on)}")


def _draw_stamp(canvas: Canvas, stamp: Stamp, width: float, height: float) -> None:
    """A banner inside the top of the frame and the word across the middle of the page, drawn over everything
    else. The word is translucent so the certificate underneath stays legible; it stays clear of the QR code."""
    canvas.saveState()
    canvas.setFillColor(STAMP)
    canvas.rect(40, height - 70, width - 80, 30, stroke=0, fill=1)
    line = pdf_text(stamp.line)
    canvas.setFillColor(colors.white)
    size = _fit_size(line, "Helvetica-Bold", 13, width - 100, 7)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawCentredString(width / 2, height - 55 - size / 3, line)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(24)
    canvas.setFillColor(STAMP)
    canvas.setFillAlpha(0.22)
    size = _fit_size(stamp.word, "Helvetica-Bold", 110, width * 0.62, 40)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawCentredString(0, -size / 3, stamp.word)
    canvas.restoreState()


def render_certificate_pdf(
    snapshot: CertificateSnapshot,
    verify_url: str,
    *,
    stamp: Stamp | None = None,
    pagesize: tuple[float, float] = LETTER,
    compress: bool = True,
) -> bytes:
    """One landscape page (US Letter unless told otherwise; pass reportlab's A4 for A4). `stamp`: the certificate
    no longer stands (see the module docstring)."""
    width, height = landscape(pagesize)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1 if compress else 0)
    name, course = pdf_text(snapshot.learner_name), pdf_text(snapshot.course_title)
    title = f"Certificate of Completion: {name}, {course}"
    canvas.setTitle(f"{pdf_text(stamp.line)}. {title}" if stamp else title)
    canvas.setAuthor(pdf_text(snapshot.provider))
    canvas.setSubject(f"{course} (version {pdf_text(snapshot.course_version)}), certificate {snapshot.code}")
    canvas.setCreator(pdf_text(snapshot.provider))

    # Frame: a strong outer line and a hairline inside it.
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2.5)
    canvas.rect(24, 24, width - 48, height - 48, stroke=1, fill=0)
    canvas.setLineWidth(0.6)
    canvas.rect(32, 32, width - 64, height - 64, stroke=1, fill=0)

    cx = width / 2
    text_width = width - 2 * 110
    y = height - 86
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 10.5)
    canvas.drawCentredString(cx, y, pdf_text(snapshot.provider).upper(), charSpace=1.6)

    y -= 46
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica-Bold", 32)
    canvas.drawCentredString(cx, y, "Certificate of Completion")
    y -= 16
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(1)
    canvas.line(cx - 60, y, cx + 60, y)

    y -= 30
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 12)
    canvas.drawCentredString(cx, y, "This certifies that")

    y -= 40
    size = _fit_size(name, "Helvetica-Bold", 30, text_width, 16)
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawCentredString(cx, y, name)

    licence = " · ".join(
        pdf_text(part)
        for part in (
            f"Licence no. {snapshot.licence_number}" if snapshot.licence_number else None,
            snapshot.jurisdiction,
        )
        if part
    )
    if licence:
        y -= 20
        canvas.setFillColor(MUTED)
        canvas.setFont("Helvetica", 11)
        canvas.drawCentredString(cx, y, licence)

    y -= 30
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 12)
    canvas.drawCentredString(cx, y, "has completed the continuing education course")

    title_size, title_lines = 18.0, simpleSplit(course, "Helvetica-Bold", 18, text_width)
    for candidate in (16.0, 14.0, 12.0):
        if len(title_lines) <= 2:
            break
        title_size, title_lines = candidate, simpleSplit(course, "Helvetica-Bold", candidate, text_width)
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica-Bold", title_size)
    y -= 8
    for line in title_lines:
        y -= title_size * 1.25
        canvas.drawCentredString(cx, y, line)

    y -= 21
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 11)
    canvas.drawCentredString(cx, y, f"Version {pdf_text(snapshot.course_version)}")

    y -= 28
    canvas.setFillColor(ACCENT)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawCentredString(cx, y, _hours_phrase(snapshot.ce_hours))

    dates = [f"Completed {presentation.day(snapshot.completion_date)}", f"Issued {presentation.day(snapshot.issue_date)}"]
    if snapshot.expiry_date is not None:
        dates.append(f"Expires {presentation.day(snapshot.expiry_date)}")
    y -= 22
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica", 10.5)
    canvas.drawCentredString(cx, y, "   ·   ".join(dates))

    if snapshot.statement:
        y -= 6
        canvas.setFillColor(MUTED)
        canvas.setFont("Helvetica-Oblique", 8.5)
        for line in simpleSplit(pdf_text(snapshot.statement), "Helvetica-Oblique", 8.5, text_width)[:3]:
            y -= 11
            canvas.drawCentredString(cx, y, line)

    # Bottom left: who vouches for it.
    left = 80
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.8)
    canvas.line(left, 128, left + 230, 128)
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(left, 113, pdf_text(snapshot.signatory))
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 9.5)
    canvas.drawString(left, 99, f"for {pdf_text(snapshot.provider)}")
    if snapshot.approval_number:
        canvas.drawString(left, 85, f"Approval no. {pdf_text(snapshot.approval_number)}")

    # Bottom right: how anyone can check it.
    qr_size = 1.35 * inch
    qr_x, qr_y = width - 64 - qr_size, 52
    _draw_qr(canvas, verify_url, qr_x, qr_y, qr_size)
    right = qr_x - 6
    canvas.setFillColor(INK)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawRightString(right, 136, "Verify this certificate")
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawRightString(right, 118, snapshot.code)
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 8)
    line_y = 104.0
    for line in simpleSplit(pdf_text(verify_url), "Helvetica", 8, 250)[:4]:
        canvas.drawRightString(right, line_y, line)
        line_y -= 10
    canvas.linkURL(verify_url, (qr_x, qr_y, qr_x + qr_size, qr_y + qr_size), relative=0)

    if stamp is not None:
        _draw_stamp(canvas, stamp, width, height)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


TRANSCRIPT_STATUSES = ("valid", "expired", "revoked")


@dataclass(frozen=True, slots=True)
class TranscriptRow:
    course_title: str
    course_version: str
    completion_date: date
    ce_hours: Decimal
    status: str
    code: str

    def __post_init__(self) -> None:
        if self.status not in TRANSCRIPT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(TRANSCRIPT_STATUSES)}")

    @property
    def counts(self) -> bool:
        """Expired hours were still earned; revoked ones never count."""
        return self.status != "revoked"


def running_footer(label: str, y: float) -> Callable[[Canvas, SimpleDocTemplate], None]:
    """A footer for every page of a multi-page report: what it is on the left, the page number on the right."""

    def footer(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(document.leftMargin, y, label)
        canvas.drawRightString(document.leftMargin + document.width, y, f"Page {document.page}")
        canvas.restoreState()

    return footer


def transcript_total(rows: Iterable[TranscriptRow]) -> Decimal:
    return sum((row.ce_hours for row in rows if row.counts), Decimal(0))


def render_transcript_pdf(
    learner_name: str,
    rows: Sequence[TranscriptRow],
    *,
    provider: str | None = None,
    generated_on: date | None = None,
    pagesize: tuple[float, float] = LETTER,
    compress: bool = True,
) -> bytes:
    """Rows print in the order given; the total leaves out revoked certificates and says so."""
    buffer = io.BytesIO()
    name = pdf_text(learner_name)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=portrait(pagesize),
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.75 * inch,
        title=f"CE transcript: {name}",
        author=pdf_text(provider) if provider else "",
        subject="Continuing education transcript",
        pageCompression=1 if compress else 0,
    )
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9.5, leading=12, textColor=INK)
    heading = ParagraphStyle("heading", parent=base, fontName="Helvetica-Bold", fontSize=20, leading=24, textColor=ACCENT)
    subheading = ParagraphStyle("sub", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=16)
    muted = ParagraphStyle("muted", parent=base, textColor=MUTED)
    head_cell = ParagraphStyle("head", parent=base, fontName="Helvetica-Bold", textColor=colors.white)
    head_right = ParagraphStyle("head_right", parent=head_cell, alignment=TA_RIGHT)
    cell = ParagraphStyle("cell", parent=base, alignment=TA_LEFT)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    bold_right = ParagraphStyle("bold_right", parent=right, fontName="Helvetica-Bold")
    total_label = ParagraphStyle("total", parent=base, fontName="Helvetica-Bold")

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(pdf_text(text)), style)

    story: list[Flowable] = [para("Continuing Education Transcript", heading), Spacer(1, 6), para(learner_name, subheading)]
    details = [f"Issued by {provider}" if provider else "", f"Generated {presentation.day(generated_on)}" if generated_on else ""]
    if any(details):
        story.append(para(" · ".join(d for d in details if d), muted))
    story.append(Spacer(1, 14))

    data: list[list[Flowable | str]] = [
        [
            para("Course", head_cell),
            para("Version", head_cell),
            para("Completed", head_cell),
            para("CE hours", head_right),
            para("Status", head_cell),
            para("Code", head_cell),
        ]
    ]
    for row in rows:
        data.append(
            [
                para(row.course_title, cell),
                para(row.course_version, cell),
                para(presentation.day(row.completion_date), cell),
                para(format_hours(row.ce_hours), right),
                para(row.status.capitalize(), cell),
                para(row.code, cell),
            ]
        )
    label = "Total contact hours (CE)"
    if any(not row.counts for row in rows):
        label += ", revoked certificates excluded"
    data.append([para(label, total_label), "", "", para(format_hours(transcript_total(rows)), bold_right), "", ""])
    usable = doc.width
    widths = [0.33 * usable, 0.1 * usable, 0.17 * usable, 0.12 * usable, 0.1 * usable, 0.18 * usable]
    table = Table(data, colWidths=widths, repeatRows=1)
    last = len(data) - 1
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, last - 1), 0.4, RULE),
        ("LINEABOVE", (0, last), (-1, last), 1.2, INK),
        ("SPAN", (0, last), (2, last)),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    style.extend(("BACKGROUND", (0, r), (-1, r), REVOKED) for r, row in enumerate(rows, start=1) if not row.counts)
    table.setStyle(TableStyle(style))
    story.append(table)
    if not rows:
        story += [Spacer(1, 10), para("No certificates yet.", muted)]

    footer = running_footer(f"{name}: CE transcript", 0.45 * inch)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
