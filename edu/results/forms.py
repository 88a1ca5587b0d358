"""Forms of the results pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class RegradeForm(FlaskForm):
    fingerprint = HiddenField()
    """What the dry run showed (Plan.fingerprint), so "Regrade" applies exactly that or says the data moved on."""
