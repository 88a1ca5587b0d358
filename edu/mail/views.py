from __future__ import annotations

from flask import Blueprint, current_app, render_template

from edu.auth.models import Role
from edu.auth.permissions import role_required

from . import services

bp = Blueprint("mail", __name__, url_prefix="/admin")


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox() -> str:
    return render_template(
        "mail/outbox.html",
        messages=services.outbox(),
        counts=services.outbox_counts(),
        max_attempts=current_app.config["MAIL_MAX_ATTEMPTS"],
    )
