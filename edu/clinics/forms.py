from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from edu.auth.emails import UsableEmail

from .roster import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, SORTS, STATUS_LABELS, STATUSES


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


_email = [DataRequired(message="Enter an email address."), Length(max=254), UsableEmail()]


class ClinicForm(FlaskForm):
    name = StringField(
        "Clinic name",
        validators=[DataRequired(message="Enter the clinic's name."), Length(min=2, max=120)],
        filters=[_strip],
    )


class InviteForm(FlaskForm):
    email = EmailField(
        "Staff member's email",
        validators=_email,
        filters=[_strip],
        description="They get a link to accept or decline. Nothing is shared unless they accept.",
    )


class AdminForm(FlaskForm):
    email = EmailField(
        "Administrator's email",
        validators=_email,
        filters=[_strip],
        description="The account must already have the clinic administrator role.",
    )


class ConsentForm(FlaskForm):
    consent = BooleanField(
        "I agree to share these records with this clinic until I withdraw",
        validators=[DataRequired(message="Tick the box to confirm that you agree to share these records.")],
    )


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError("Enter a whole number of days.") from None


class RosterFilterForm(FlaskForm):
    """A GET form: filters change nothing, so no CSRF token, and a filtered roster can be bookmarked."""

    class Meta:
        csrf = False

    course = SelectField("Course", choices=[SelectChoice("", "All courses")], validate_choice=False, default="")
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")] + [SelectChoice(s, STATUS_LABELS[s]) for s in STATUSES],
        validate_choice=False,
        default="",
    )
    q = StringField(
        "Name contains", validators=[Optional(), Length(max=100, message="Search for at most 100 characters.")], filters=[_strip]
    )
    sort = SelectField(
        "Sort by",
        choices=[
            SelectChoice("name", "Name"),
            SelectChoice("status", "Status (needs action first)"),
            SelectChoice("expiry", "Expiry date (soonest first)"),
        ],
        validate_choice=False,
        default="name",
    )
    days = WholeNumberField(
        "Expiring within (days)",
        default=DEFAULT_WINDOW_DAYS,
        validators=[Optional(), NumberRange(min=1, max=MAX_WINDOW_DAYS, message=f"Choose between 1 and {MAX_WINDOW_DAYS} days.")],
    )

    def __init__(self, *args: Any, courses: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course.choices = [SelectChoice("", "All courses"), *(SelectChoice(v, label) for v, label in courses or [])]

    def validate_course(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choose a course from the list.")

    def validate_status(self, field: SelectField) -> None:
        if field.data not in ("", *STATUSES):
            raise ValidationError("Choose a status from the list.")

    def validate_sort(self, field: SelectField) -> None:
        if field.data not in SORTS:
            raise ValidationError("Choose how to sort from the list.")


class BulkVerifyForm(FlaskForm):
    codes = TextAreaField(
        "Certificate codes",
        validators=[Optional(), Length(max=20000, message="That is too much text: paste at most 500 codes.")],
        description="One per line, or separated by commas. Spaces, dashes and case do not matter.",
    )
    upload = FileField("Or upload a CSV file", description="A column named code, or codes in the first column; at most 256 KB.")
