from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edu.db import Base, utcnow


class Role(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    CLINIC_ADMIN = "clinic_admin"
    ADMIN = "admin"


class Profession(StrEnum):
    PT = "pt"
    PTA = "pta"
    STUDENT = "student"
    OTHER = "other"


PROFESSION_LABELS = {
    Profession.PT: "Physical therapist",
    Profession.PTA: "Physical therapist assistant",
    Profession.STUDENT: "Physical therapy student",
    Profession.OTHER: "Other health professional",
}


class User(Base):
    __tablename__ = "users"
    __allow_unmapped__ = True  # session_token below is per-request state, not a column

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    profession: Mapped[str] = mapped_column(String(20), default=Profession.PT.value)
    licence_number: Mapped[str | None] = mapped_column(String(60))
    jurisdiction: Mapped[str | None] = mapped_column(String(80))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_verified_at: Mapped[datetime | None]
    """When the owner of the address proved it (opened a confirmation link), or an administrator vouched for it.
    Until then, nothing that trusts the address alone may count: clinic invitations, staff links, certificates."""

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    # Flask-Login protocol. The id Flask-Login stores is the login-session token, set on load.
    session_token: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def role_names(self) -> set[str]:
        return {Role.LEARNER.value} | {r.role for r in self.roles}

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def has_role(self, *roles: Role | str) -> bool:
        names = self.role_names
        return Role.ADMIN.value in names or any(str(role) in names for role in roles)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class LoginSession(Base):
    """A server-side record of one login; deleting it ends that session and its remember cookie."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"
    __table_args__ = (Index("ix_password_reset_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class EmailVerificationToken(Base):
    """A confirmation link sent to an address. It names the address it was sent to, so a link can only ever
    confirm that address, whatever the account's email is by the time it is opened."""

    __tablename__ = "email_verification_tokens"
    __table_args__ = (Index("ix_email_verification_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
