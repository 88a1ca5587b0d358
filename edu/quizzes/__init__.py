"""Quizzes: quiz definitions (synced from courses/ or assembled in the browser), accommodations, the draw of each
attempt's questions, the attempt lifecycle, and grading (grading.py and grading_methods.py, PURE).

Dependencies run one way: auth <- catalog <- banks <- quizzes <- results, and quizzes <- certificates. quizzes
reads banks' items and versions; it never imports results or certificates (the submit view asks certificates,
and the results pages join this domain's instructor blueprint from above).

Inside, each module builds on the ones before it: models; grading, grading_methods (pure); quizzes (the draw);
accommodations; marking (the clock, grading once); eligibility (may this learner start); attempts (start, save,
submit, close overdue); pages (what the learner's pages show).
"""
