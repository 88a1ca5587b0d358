"""LinkedIn's "Add to profile" link for a certificate: LinkedIn's add-certification form, filled in.

The form is opened with https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME and takes the
certification's name, the issuing organisation (organizationName, or organizationId for a LinkedIn company page),
the issue and expiry year and month (issueYear, issueMonth, expirationYear, expirationMonth), the credential's URL
(certUrl) and its id (certId), as LinkedIn's Add to Profile documentation (addtoprofile.linkedin.com) describes
them. Nothing is sent to LinkedIn by us: the learner follows the link, checks the form and saves it.

The organisation and the URL are the caller's to take from configuration (ISSUER_NAME, PUBLIC_URL), never from a
request, so a forged Host header cannot put another site's address on a learner's profile.
"""

from __future__ import annotations

from urllib.parse import urlencode

from .snapshot import CertificateSnapshot

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def add_to_profile_url(snapshot: CertificateSnapshot, *, organisation: str, verify_url: str) -> str:
    """The link for one certificate. LinkedIn's expiry is a month: the month of the expiry date (the first day the
    certificate is no longer valid) is the nearest it can say; a certificate that does not expire sends none."""
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME",
        "name": snapshot.course_title,
        "organizationName": organisation,
        "issueYear": snapshot.issue_date.year,
        "issueMonth": snapshot.issue_date.month,
    }
    if snapshot.expiry_date is not None:
        params["expirationYear"] = snapshot.expiry_date.year
        params["expirationMonth"] = snapshot.expiry_date.month
    params["certUrl"] = verify_url
    params["certId"] = snapshot.code
    return f"{ADD_TO_PROFILE}?{urlencode(params)}"
