"""Question banks: items and their immutable versions, authoring in the browser, each question's history, the sync
of course banks from courses/, and import and export through edu.interchange.

Dependencies run one way: auth <- catalog <- banks <- quizzes <- results. No service or model here imports quizzes or
results; how a version performed in attempts is edu.results' figure, which the bank views (the composition layer)
ask for.
Who may change a bank is edu.banks.policy's rule.
"""
