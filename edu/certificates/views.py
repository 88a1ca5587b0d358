"""Certificate pages: the learner's certificates and transcript, public verification, admin lifecycle."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__)
