from __future__ import annotations

from flask import Blueprint, render_template

from edu.auth.models import Role
from edu.auth.permissions import role_required

from . import services

bp = Blueprint("mail", __name__, url_prefix="/admin")


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox() -> str:
    return render_template("mail/outbox.html", messages=services.outbox())
