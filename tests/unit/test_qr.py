"""QR codes for the verification URL.

segno cannot decode, so "encodes the URL" is shown by re-encoding the URL independently and comparing module
matrices, and by reading the PNG's pixels back into a matrix.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET  # parses only SVG this module generated

import pytest
import segno
from PIL import Image

from edu.certificates.qr import QUIET_ZONE, qr_code, qr_matrix, qr_png, qr_svg

URL = "https://ce.example.org/verify/DN7K-4QXM-21"
SVG_NS = "{http://www.w3.org/2000/svg}"


def reference_matrix(url: str) -> list[list[bool]]:
    symbol = segno.make(url, error="M", micro=False, boost_error=False)
    return [[bool(module) for module in row] for row in symbol.matrix]


def test_symbol_uses_error_correction_m_and_is_a_full_qr_code() -> None:
    symbol = qr_code(URL)
    assert symbol.error == "M"
    assert not symbol.is_micro


def test_matrix_encodes_exactly_this_url() -> None:
    assert [list(row) for row in qr_matrix(URL)] == reference_matrix(URL)
    assert [list(row) for row in qr_matrix(URL)] != reference_matrix(URL.replace("21", "22"))


def test_same_url_same_symbol() -> None:
    assert qr_matrix(URL) == qr_matrix(URL)


def test_png_pixels_are_the_matrix_with_a_quiet_zone() -> None:
    scale = 5
    image = Image.open(io.BytesIO(qr_png(URL, scale=scale))).convert("L")
    matrix = reference_matrix(URL)
    side = len(matrix) + 2 * QUIET_ZONE
    assert image.size == (side * scale, side * scale)
    for r in range(side):
        for c in range(side):
            pixel = image.getpixel((c * scale + scale // 2, r * scale + scale // 2))
            assert isinstance(pixel, int)
            dark = pixel < 128
            inside = QUIET_ZONE <= r < side - QUIET_ZONE and QUIET_ZONE <= c < side - QUIET_ZONE
            expected = matrix[r - QUIET_ZONE][c - QUIET_ZONE] if inside else False
            assert dark == expected, (r, c)


def test_png_is_a_png() -> None:
    assert qr_png(URL).startswith(b"\x89PNG\r\n\x1a\n")


def test_svg_is_plain_markup_with_no_script_or_external_reference() -> None:
    svg = qr_svg(URL)
    assert isinstance(svg, bytes)
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    assert root.tag == f"{SVG_NS}svg"
    elements = list(root.iter())
    assert {element.tag for element in elements} <= {f"{SVG_NS}svg", f"{SVG_NS}path"}
    for element in elements:
        for attribute in element.attrib:
            assert not attribute.lower().startswith("on"), attribute
            assert "href" not in attribute.lower(), attribute
    assert b"script" not in svg.lower()
    assert b"javascript:" not in svg.lower()


def test_svg_size_includes_the_quiet_zone() -> None:
    scale = 4
    root = ET.fromstring(qr_svg(URL, scale=scale))  # noqa: S314
    side = (len(reference_matrix(URL)) + 2 * QUIET_ZONE) * scale
    assert root.get("width") == str(side)
    assert root.get("height") == str(side)


def test_a_url_with_markup_characters_cannot_inject_into_the_svg() -> None:
    # The URL is only encoded into modules; none of its text reaches the SVG.
    hostile = 'https://ce.example.org/verify/"><script>alert(1)</script>'
    svg = qr_svg(hostile)
    assert b"script" not in svg.lower()
    ET.fromstring(svg)  # noqa: S314


def test_empty_url_is_refused() -> None:
    with pytest.raises(ValueError):
        qr_svg("")
