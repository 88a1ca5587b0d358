"""Every domain's models in one import, for Alembic and the tests. Nothing imports this module back."""

from edu.auth.models import EmailVerificationToken, LoginSession, PasswordResetToken, User, UserRole
from edu.banks.models import BankImportDraft, Question, QuestionBank, QuestionEvent, QuestionVersion
from edu.catalog.models import (
    Asset,
    Course,
    CourseInstructor,
    CourseVersion,
    Enrolment,
    Lesson,
    LessonCompletion,
    LessonOpening,
    Module,
)
from edu.certificates.models import Certificate, CertificateEvent, ReminderSent, StatusList, VerificationLog
from edu.clinics.models import Clinic, ClinicAdmin, DigestSent, StaffEvent, StaffLink
from edu.db import Base
from edu.mail.models import OutboxMessage
from edu.quizzes.models import Accommodation, Attempt, AttemptAnswerEvent, AttemptItem, AuthoredQuiz, Quiz, QuizSource
from edu.results.models import RegradeChange, RegradeItem, RegradeRun

__all__ = [
    "Accommodation",
    "Asset",
    "Attempt",
    "AttemptAnswerEvent",
    "AttemptItem",
    "AuthoredQuiz",
    "BankImportDraft",
    "Base",
    "Certificate",
    "CertificateEvent",
    "Clinic",
    "ClinicAdmin",
    "Course",
    "CourseInstructor",
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
    "Quiz",
    "QuizSource",
    "RegradeChange",
    "RegradeItem",
    "RegradeRun",
    "ReminderSent",
    "StaffEvent",
    "StaffLink",
    "StatusList",
    "User",
    "UserRole",
    "VerificationLog",
]
