"""Courses, their versions, modules and lessons (synced from courses/), enrolments and progress."""
