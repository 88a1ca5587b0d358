"""QR codes that take a phone from a printed certificate to its verification page.

Error correction is fixed at M (15% of the symbol may be lost) rather than left to segno's boosting, so the
same URL always gives the same symbol: the PDF, the web page and the tests can compare matrices. The quiet
zone is the 4 modules the standard asks for; scanners fail on tightly cropped codes more than on anything else.
"""

from __future__ import annotations

import io

import segno

__all__ = ["QUIET_ZONE", "qr_code", "qr_matrix", "qr_png", "qr_svg"]

QUIET_ZONE = 4
ERROR_CORRECTION = "M"


def qr_code(url: str) -> segno.QRCode:
    if not url:
        raise ValueError("a QR code needs a URL")
    return segno.make_qr(url, error=ERROR_CORRECTION, boost_error=False)


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Dark modules as booleans, without the quiet zone, for drawing the symbol as vector rectangles."""
    return tuple(tuple(bool(module) for module in row) for row in qr_code(url).matrix)


def qr_svg(url: str, *, scale: int = 4) -> bytes:
    """Plain SVG (a single path, no script, no external references), safe to inline or serve as image/svg+xml."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="svg", scale=scale, border=QUIET_ZONE, xmldecl=False, svgclass=None, lineclass=None)
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()
