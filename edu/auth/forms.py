from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from . import passwords
from .emails import UsableEmail
from .models import PROFESSION_LABELS, Role

PROFESSIONS = [SelectChoice(p.value, label) for p, label in PROFESSION_LABELS.items()]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


_email = [DataRequired(message="Enter your email address."), Length(max=254), UsableEmail()]
_new_password = [
    DataRequired(message="Choose a password."),
    Length(
        min=passwords.MIN_LENGTH,
        max=passwords.MAX_LENGTH,
        message=f"Use between {passwords.MIN_LENGTH} and {passwords.MAX_LENGTH} characters.",
    ),
]


class ProfileFields(FlaskForm):
    name = StringField(
        "Full name (as it should appear on certificates)", validators=[DataRequired(), Length(max=120)], filters=[_strip]
    )
    profession = SelectField("Profession", choices=PROFESSIONS, validators=[DataRequired()])
    licence_number = StringField("Licence number (optional)", validators=[Optional(), Length(max=60)])
    jurisdiction = StringField(
        "Licensing jurisdiction (optional)",
        description="For example a state, province or country.",
        validators=[Optional(), Length(max=80)],
    )


class RegisterForm(ProfileFields):
    email = EmailField("Email", validators=_email, filters=[_strip])
    password = PasswordField("Password", validators=_new_password, description=f"At least {passwords.MIN_LENGTH} characters.")
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")]
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=_email, filters=[_strip])
    password = PasswordField(
        "Password", validators=[DataRequired(message="Enter your password."), Length(max=passwords.MAX_LENGTH)]
    )
    remember = BooleanField("Remember me on this device")


class ProfileForm(ProfileFields):
    pass


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])
    password = PasswordField("New password", validators=_new_password)
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")]
    )


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=_email, filters=[_strip])


class ResetForm(FlaskForm):
    password = PasswordField("New password", validators=_new_password)
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")]
    )


class RolesForm(FlaskForm):
    roles = SelectMultipleField(
        "Roles",
        choices=[SelectChoice(r.value, r.value.replace("_", " ")) for r in Role if r is not Role.LEARNER],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
