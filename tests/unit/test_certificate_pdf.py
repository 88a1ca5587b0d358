"""The printable certificate and the CE transcript.

No PDF parser is installed, so the tests read what a PDF viewer would show from the uncompressed content
streams: every `(...) Tj` string, unescaped and decoded from WinAnsi.
"""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from reportlab.lib.pagesizes import A4, LETTER

from edu.certificates.pdf import (
    TranscriptRow,
    expired_stamp,
    pdf_text,
    render_certificate_pdf,
    render_transcript_pdf,
    revoked_stamp,
    transcript_total,
)
from edu.certificates.qr import qr_matrix
from edu.certificates.snapshot import CertificateSnapshot, new_public_id

VERIFY_URL = "https://ce.example.org/verify/DN7K-4QXM-21"


def snapshot(**changes: object) -> CertificateSnapshot:
    fields: dict[str, object] = {
        "public_id": new_public_id(),
        "code": "DN7K-4QXM-21",
        "learner_name": "Jane Doe",
        "course_id": "dry-needling",
        "course_title": "Dry Needling Fundamentals",
        "course_version": "2025.1",
        "ce_hours": Decimal("12.50"),
        "completion_date": date(2025, 3, 10),
        "issue_date": date(2025, 3, 12),
        "expiry_date": date(2027, 3, 12),
        "provider": "Needlepoint CE",
        "signatory": "Dr. A. Smith, PT, DPT",
        "licence_number": "PT12345",
        "jurisdiction": "Texas",
        "approval_number": "TPTA-2025-001",
    }
    fields.update(changes)
    return CertificateSnapshot(**fields)  # type: ignore[arg-type]


_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8)])
        return _SIMPLE.get(token, token)

    return _ESCAPE.sub(one, literal)


def shown_text(pdf: bytes) -> list[str]:
    """Every string drawn with Tj, in drawing order."""
    return [_unescape(m.group(1)).decode("cp1252") for m in re.finditer(rb"\(((?:[^()\\]|\\.)*)\) Tj", pdf, re.DOTALL)]


def info_entry(pdf: bytes, key: str) -> str:
    match = re.search(rb"/" + key.encode() + rb" \(((?:[^()\\]|\\.)*)\)", pdf)
    assert match, key
    return _unescape(match.group(1)).decode("cp1252")


def page_boxes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)]


# --- certificate ------------------------------------------------------------------------------------------


def test_certificate_is_a_one_page_landscape_letter_pdf() -> None:
    pdf = render_certificate_pdf(snapshot(), VERIFY_URL)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_boxes(pdf) == [(792.0, 612.0)]
    assert b"/FlateDecode" in pdf  # compressed unless asked otherwise


def test_a4_is_landscape_too() -> None:
    (box,) = page_boxes(render_certificate_pdf(snapshot(), VERIFY_URL, pagesize=A4, compress=False))
    assert box[0] > box[1]
    assert box == pytest.approx((A4[1], A4[0]), abs=0.01)


def test_certificate_states_what_was_achieved() -> None:
    text = shown_text(render_certificate_pdf(snapshot(), VERIFY_URL, compress=False))
    assert "Certificate of Completion" in text
    assert "Jane Doe" in text
    assert "Licence no. PT12345 · Texas" in text
    assert "Dry Needling Fundamentals" in text
    assert "Version 2025.1" in text
    assert "12.5 contact hours (CE)" in text
    assert "Completed 10 March 2025   ·   Issued 12 March 2025   ·   Expires 12 March 2027" in text
    assert "Dr. A. Smith, PT, DPT" in text
    assert "for Needlepoint CE" in text
    assert "Approval no. TPTA-2025-001" in text
    assert "DN7K-4QXM-21" in text
    assert VERIFY_URL in text


def test_the_course_statement_of_what_the_certificate_does_not_attest_is_printed_whole() -> None:
    statement = (
        "This is a didactic (knowledge) course. It does not by itself meet any licensing board's dry needling training "
        "requirement, and it does not teach or certify psychomotor needling skill."
    )
    text = " ".join(shown_text(render_certificate_pdf(snapshot(statement=statement), VERIFY_URL, compress=False)))
    assert statement in text
    assert "didactic" not in " ".join(shown_text(render_certificate_pdf(snapshot(), VERIFY_URL, compress=False)))


def test_optional_lines_are_left_out_rather_than_printed_empty() -> None:
    snap = snapshot(expiry_date=None, approval_number=None, licence_number=None, jurisdiction=None, ce_hours=Decimal(1))
    text = " | ".join(shown_text(render_certificate_pdf(snap, VERIFY_URL, compress=False)))
    assert "Expires" not in text
    assert "Approval" not in text
    assert "Licence" not in text
    assert "1 contact hour (CE)" in text


def test_long_course_title_wraps_and_every_word_is_printed() -> None:
    title = "Dry Needling for the Lumbar Spine and Pelvis: Evidence, Safety and Clinical Technique in Orthopaedic Practice"
    text = shown_text(render_certificate_pdf(snapshot(course_title=title), VERIFY_URL, compress=False))
    lines = [line for line in text if line in title]
    assert len(lines) >= 2
    assert " ".join(lines) == title


def test_qr_code_is_drawn_from_the_verification_url() -> None:
    pdf = render_certificate_pdf(snapshot(), VERIFY_URL, compress=False)
    runs = sum(len(re.findall(r"1+", "".join("1" if m else "0" for m in row))) for row in qr_matrix(VERIFY_URL))
    # one filled rectangle per horizontal run of dark modules, plus the white backing square
    assert len(re.findall(rb" re f\b", pdf)) == runs + 1
    assert b"/URI (" + VERIFY_URL.encode() + b")" in pdf


def test_metadata_names_the_certificate_and_the_provider() -> None:
    pdf = render_certificate_pdf(snapshot(), VERIFY_URL, compress=False)
    assert info_entry(pdf, "Author") == "Needlepoint CE"
    assert info_entry(pdf, "Title") == "Certificate of Completion: Jane Doe, Dry Needling Fundamentals"


def test_pdf_syntax_characters_in_names_are_escaped() -> None:
    text = shown_text(render_certificate_pdf(snapshot(learner_name="Jane (JD) O'Doe \\ Smith"), VERIFY_URL, compress=False))
    assert "Jane (JD) O'Doe \\ Smith" in text


def test_names_outside_the_builtin_fonts_are_folded_not_blacked_out() -> None:
    pdf = render_certificate_pdf(snapshot(learner_name="Łukasz Żółć"), VERIFY_URL, compress=False)
    assert "Lukasz Zólc" in shown_text(pdf)
    assert b"ZapfDingbats" not in pdf  # reportlab's stand-in for a missing glyph is a black square


@pytest.mark.parametrize(
    ("raw", "printed"),
    [("José Núñez", "José Núñez"), ("Đorđe", "Dorde"), ("Ōtani", "Otani"), ("李小龙", "???"), ("a\u200bb\x07", "ab")],
)
def test_pdf_text_folding(raw: str, printed: str) -> None:
    assert pdf_text(raw) == printed


def test_compressed_and_uncompressed_show_the_same_page() -> None:
    snap = snapshot()
    compressed = render_certificate_pdf(snap, VERIFY_URL)
    # reportlab wraps compressed streams in ASCII85 as well as Flate
    streams = re.findall(rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)~>", compressed, re.DOTALL)
    assert streams
    inflated = b"".join(zlib.decompress(base64.a85decode(s, ignorechars=b" \t\r\n")) for s in streams)
    assert shown_text(inflated) == shown_text(render_certificate_pdf(snap, VERIFY_URL, compress=False))


def inflated_text(pdf: bytes) -> list[str]:
    """What a reader sees in a PDF as served (compressed: ASCII85 around Flate)."""
    streams = re.findall(rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n(.*?)~>", pdf, re.DOTALL)
    return shown_text(b"".join(zlib.decompress(base64.a85decode(s, ignorechars=b" \t\r\n")) for s in streams))


# --- a certificate that no longer stands ---------------------------------------------------------------------


def test_a_revoked_certificate_is_stamped_with_the_day_and_the_reason() -> None:
    stamp = revoked_stamp(datetime(2026, 5, 3, 14, 5, tzinfo=UTC), "Withdrawn for academic misconduct")
    pdf = render_certificate_pdf(snapshot(), VERIFY_URL, stamp=stamp, compress=False)
    text = shown_text(pdf)
    assert "REVOKED on 3 May 2026 \u2014 Withdrawn for academic misconduct" in text  # the banner
    assert "REVOKED" in text  # the word across the page
    assert "Jane Doe" in text and "Certificate of Completion" in text  # still the record it was
    assert info_entry(pdf, "Title").startswith("REVOKED on 3 May 2026")  # what a viewer's title bar and tab show
    assert inflated_text(render_certificate_pdf(snapshot(), VERIFY_URL, stamp=stamp)) == text  # as downloaded


def test_an_expired_certificate_says_when_it_expired() -> None:
    pdf = render_certificate_pdf(snapshot(), VERIFY_URL, stamp=expired_stamp(date(2027, 3, 12)), compress=False)
    text = shown_text(pdf)
    assert "EXPIRED on 12 March 2027" in text and "EXPIRED" in text
    assert not any("REVOKED" in line for line in text)


def test_a_valid_certificate_carries_no_stamp() -> None:
    text = shown_text(render_certificate_pdf(snapshot(), VERIFY_URL, compress=False))
    assert not any("REVOKED" in line or "EXPIRED" in line for line in text)


def test_a_revocation_without_a_recorded_time_is_still_stamped() -> None:
    assert revoked_stamp(None, "Issued in error").line == "REVOKED \u2014 Issued in error"
    assert revoked_stamp(date(2026, 5, 3), "").line == "REVOKED on 3 May 2026"


def test_a_long_reason_is_fitted_into_the_banner_whole() -> None:
    reason = "Withdrawn because the learner's identity could not be confirmed"
    text = shown_text(
        render_certificate_pdf(snapshot(), VERIFY_URL, stamp=revoked_stamp(date(2026, 9, 30), reason), compress=False)
    )
    assert f"REVOKED on 30 September 2026 \u2014 {reason}" in text


# --- transcript -------------------------------------------------------------------------------------------


ROWS = [
    TranscriptRow("Dry Needling Fundamentals", "1.0", date(2024, 1, 5), Decimal("8"), "expired", "DN7K-4QXM-21"),
    TranscriptRow("Lumbar Spine & Pelvis <Advanced>", "2025.1", date(2025, 3, 10), Decimal("12.5"), "valid", "AB12-CD34-EF"),
    TranscriptRow("Safety Refresher", "1", date(2025, 4, 1), Decimal("2"), "revoked", "ZZZZ-ZZZZ-ZZ"),
]


def test_transcript_total_counts_expired_but_not_revoked_hours() -> None:
    assert transcript_total(ROWS) == Decimal("20.5")
    assert transcript_total([]) == Decimal(0)


def test_transcript_lists_every_row_and_the_total() -> None:
    pdf = render_transcript_pdf("Jane Doe", ROWS, provider="Needlepoint CE", generated_on=date(2025, 5, 1), compress=False)
    assert pdf.startswith(b"%PDF-")
    text = shown_text(pdf)
    for expected in (
        "Continuing Education Transcript",
        "Jane Doe",
        "Issued by Needlepoint CE · Generated 1 May 2025",
        "Course",
        "Version",
        "Completed",
        "CE hours",
        "Status",
        "Code",
        "Dry Needling Fundamentals",
        "12.5",
        "Expired",
        "Revoked",
        "Valid",
        "DN7K-4QXM-21",
        "5 January 2024",
        "Total contact hours (CE), revoked certificates excluded",
        "20.5",
    ):
        assert expected in text, expected
    # markup characters print as themselves (Paragraph draws around the entities in pieces)
    assert "Lumbar Spine & Pelvis <Advanced>" in "".join(text)
    assert info_entry(pdf, "Author") == "Needlepoint CE"
    assert info_entry(pdf, "Title") == "CE transcript: Jane Doe"


def test_transcript_without_revocations_says_plain_total() -> None:
    text = shown_text(render_transcript_pdf("Jane Doe", ROWS[:2], compress=False))
    assert "Total contact hours (CE)" in text
    assert "20.5" in text


def test_long_transcript_continues_on_more_pages_with_the_header_repeated() -> None:
    rows = [TranscriptRow(f"Course {n}", "1", date(2024, 1, 1), Decimal("1.5"), "valid", "DN7K-4QXM-21") for n in range(90)]
    pdf = render_transcript_pdf("Jane Doe", rows, compress=False)
    pages = len(page_boxes(pdf))
    assert pages >= 2
    text = shown_text(pdf)
    assert text.count("CE hours") == pages
    assert "135" in text
    assert f"Page {pages}" in text


def test_empty_transcript_still_renders() -> None:
    text = shown_text(render_transcript_pdf("Jane Doe", [], compress=False))
    assert "No certificates yet." in text
    assert "0" in text


def test_transcript_row_refuses_unknown_status() -> None:
    with pytest.raises(ValueError):
        TranscriptRow("X", "1", date(2024, 1, 1), Decimal(1), "pending", "DN7K-4QXM-21")


def test_transcript_page_is_portrait_letter_by_default() -> None:
    assert page_boxes(render_transcript_pdf("Jane Doe", ROWS, compress=False)) == [LETTER]
