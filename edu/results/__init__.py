"""Results: what instructors do with the outcomes of attempts: the quiz overview, gradebooks (and CSV), one attempt
in full, regrades after a corrected key, and item analysis with Moodle's statistics (stats.py, PURE) and its
charts (charts.py, PURE).

Dependencies run one way: auth <- catalog <- banks <- quizzes <- results. results reads quizzes and banks; nothing
below imports results. Which course's results an instructor may open is edu.catalog.policy's rule.
"""
