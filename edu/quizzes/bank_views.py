"""Instructor pages: question banks, authoring, import/export, gradebook, regrade, item analysis."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("banks", __name__, url_prefix="/instructor")
