"""Every domain's models in one import, for Alembic and the tests. Nothing imports this module back."""

from edu.auth.models import EmailVerificationToken, LoginSession, PasswordResetToken, User, UserRole
from edu.catalog.models import Asset, Course, CourseVersion, Enrolment, Lesson, LessonCompletion, LessonOpening, Module
from edu.certificates.models import Certificate, CertificateEvent, ReminderSent, StatusList, VerificationLog
from edu.clinics.models import Clinic, ClinicAdmin, DigestSent, StaffEvent, StaffLink
from edu.db import Base
from edu.mail.models import OutboxMessage
from edu.quizzes.models import BankImportDraft, Question, QuestionBank, QuestionEvent, QuestionVersion

__all__ = [
    "Asset",
    "BankImportDraft",
    "Base",
    "Certificate",
    "CertificateEvent",
    "Clinic",
    "ClinicAdmin",
    "Course",
    "CourseVersion",
    "DigestSent",
    "EmailVerificationToken",
    "Enrolment",
    "Lesson",
    "LessonCompletion",
    "LessonOpening",
    "LoginSession",
    "Module",
    "OutboxMessage",
    "PasswordResetToken",
    "Question",
    "QuestionBank",
    "QuestionEvent",
    "QuestionVersion",
    "ReminderSent",
    "StaffEvent",
    "StaffLink",
    "StatusList",
    "User",
    "UserRole",
    "VerificationLog",
]
