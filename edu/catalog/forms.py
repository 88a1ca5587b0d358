from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class AssignInstructorForm(FlaskForm):
    email = EmailField(
        "Instructor's email",
        validators=[DataRequired(message="Enter the email of the instructor to assign."), Length(max=254)],
        filters=[_strip],
    )
