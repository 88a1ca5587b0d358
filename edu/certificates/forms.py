from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from .models import REVOCATION_CATEGORIES


class VerifyForm(FlaskForm):
    """A GET form: nothing changes, so no CSRF token, and the address can be bookmarked or shared."""

    class Meta:
        csrf = False

    code = StringField(
        "Certificate code",
        validators=[InputRequired(message="Enter the certificate code."), Length(max=80)],
        description="As printed on the certificate, for example DN7K-4QXM-2P. Spaces, dashes and case do not matter.",
    )


class RevokeForm(FlaskForm):
    category = SelectField(
        "Why is it being revoked?",
        choices=[SelectChoice("", "Choose a reason")]
        + [SelectChoice(key, label) for key, label in REVOCATION_CATEGORIES.items() if key != "superseded_by_reissue"],
        validators=[DataRequired(message="Choose why the certificate is being revoked.")],
        description="Verifiers see this category in plain words.",
    )
    reason = TextAreaField(
        "Details",
        validators=[DataRequired(message="Give the details of the revocation."), Length(max=2000)],
        description="Kept in the certificate's history; never shown to the public.",
    )
    confirm = BooleanField(
        "I understand that a revoked certificate cannot be restored",
        validators=[DataRequired(message="Confirm that you mean to revoke this certificate.")],
    )


class ReissueForm(FlaskForm):
    reason = TextAreaField(
        "Why is it being reissued?",
        validators=[DataRequired(message="Give the reason for the reissue."), Length(max=2000)],
        description="For example: the learner corrected their name. The new certificate copies the learner's details "
        "as they are now.",
    )
    confirm = BooleanField(
        "Replace this certificate with a new one (the old code will read as replaced)",
        validators=[DataRequired(message="Confirm that you mean to reissue this certificate.")],
    )
