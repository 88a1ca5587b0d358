"""Store a loaded course (edu.content) in the database: a new CourseVersion only when the files changed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath

from sqlalchemy import select

from edu.content import model
from edu.content.contact_time import contact_time
from edu.content.render import render_markdown
from edu.db import session, utcnow

from .models import Asset, Course, CourseVersion, Lesson, Module

ASSET_PREFIX = "/assets/"


@dataclass(frozen=True)
class CourseSync:
    course: Course
    version: CourseVersion
    status: str
    """'created' (first sync), 'updated' (a new version) or 'unchanged'."""


def asset_url(sha256: str) -> str:
    return f"{ASSET_PREFIX}{sha256}"


def sync_course(content: model.Course) -> CourseSync:
    course = session.scalar(select(Course).where(Course.slug == content.id))
    status = "updated"
    if course is None:
        course = Course(slug=content.id, title=content.title, published=content.published)
        session.add(course)
        session.flush()
        status = "created"
    existing = session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.content_hash == content.content_hash)
    )
    if existing is not None:
        changed = course.current_version_id != existing.id
        course.current_version_id = existing.id
        course.title, course.published = content.title, content.published
        return CourseSync(course, existing, "updated" if changed else "unchanged")

    contact = contact_time(content)
    version = CourseVersion(
        course_id=course.id,
        version=content.version,
        content_hash=content.content_hash,
        title=content.title,
        summary=content.summary,
        ce_hours=Decimal(str(content.ce_hours)),
        provider=content.provider,
        audience=content.audience,
        objectives=list(content.objectives),
        rules={
            "completion": content.completion.model_dump(),
            "certificate": content.certificate.model_dump(),
            "final_exam": content.final_exam.model_dump(mode="json") if content.final_exam else None,
            "contact_time": {"reading_minutes": contact.reading_minutes, "assessment_minutes": round(contact.assessment_minutes)},
        },
        glossary=[t.model_dump(mode="json") for t in content.glossary],
        references=[r.model_dump(mode="json") for r in content.references],
        synced_at=utcnow(),
    )
    session.add(version)
    session.flush()
    position = 0
    for index, module in enumerate(content.modules):
        row = Module(
            course_version_id=version.id,
            key=module.id,
            position=index,
            title=module.title,
            summary=module.summary,
            objectives=[o.model_dump() for o in module.objectives],
            quiz=module.quiz.model_dump() if module.quiz else None,
            bank_slug=module.bank.id if module.bank else None,
            references=list(module.references),
        )
        version.modules.append(row)
        for lesson in module.lessons:
            urls = {figure.path: asset_url(_store_asset(figure)) for figure in lesson.figures}
            lesson_dir = PurePosixPath(lesson.source_path).parent

            def resolve(src: str, urls: dict[str, str] = urls, lesson_dir: PurePosixPath = lesson_dir) -> str | None:
                return urls.get(_normalise(lesson_dir / src))

            row.lessons.append(
                Lesson(
                    course_version_id=version.id,
                    key=lesson.id,
                    position=position,
                    title=lesson.title,
                    html=render_markdown(lesson.markdown, resolve),
                    words=lesson.words,
                    reading_minutes=lesson.reading_minutes,
                )
            )
            position += 1
    session.flush()
    course.current_version_id = version.id
    course.title, course.published = content.title, content.published
    return CourseSync(course, version, status)


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _store_asset(figure: model.Figure) -> str:
    digest = hashlib.sha256(figure.data).hexdigest()
    if session.scalar(select(Asset.id).where(Asset.sha256 == digest)) is None:
        session.add(Asset(sha256=digest, media_type=figure.media_type, data=figure.data))
        session.flush()
    return digest
