"""Clinic pages: staff invitations and consent, roster, compliance exports, bulk verification."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("clinics", __name__, url_prefix="/clinics")
