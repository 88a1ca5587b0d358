"""LinkedIn's add-certification link: every field LinkedIn's form takes, read back by parsing the URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from edu.certificates.linkedin import add_to_profile_url
from tests.unit.test_certificate_pdf import VERIFY_URL, snapshot  # one certificate for the unit tests of its outputs


def fields(url: str) -> dict[str, str]:
    query = parse_qs(urlsplit(url).query, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


def test_the_link_opens_linkedins_add_certification_form_filled_in() -> None:
    url = add_to_profile_url(snapshot(), organisation="Needlepoint CE", verify_url=VERIFY_URL)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert fields(url) == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Dry Needling Fundamentals",
        "organizationName": "Needlepoint CE",
        "issueYear": "2025",
        "issueMonth": "3",
        "expirationYear": "2027",
        "expirationMonth": "3",
        "certUrl": VERIFY_URL,
        "certId": "DN7K-4QXM-21",
    }


def test_a_certificate_that_does_not_expire_sends_no_expiry() -> None:
    found = fields(add_to_profile_url(snapshot(expiry_date=None), organisation="Needlepoint CE", verify_url=VERIFY_URL))
    assert "expirationYear" not in found and "expirationMonth" not in found
    assert found["issueYear"] == "2025"


def test_titles_and_names_with_reserved_characters_survive_the_round_trip() -> None:
    title = "Dry Needling & Pain Science: Lumbar/Pelvis (Part 2) #1 = 100% Ωmega"
    url = add_to_profile_url(snapshot(course_title=title), organisation="Smith & Jones CE", verify_url=VERIFY_URL)
    found = fields(url)
    assert found["name"] == title and found["organizationName"] == "Smith & Jones CE"
    assert found["certUrl"] == VERIFY_URL
