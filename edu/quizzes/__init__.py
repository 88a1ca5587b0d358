"""Question banks, quizzes, attempts, grading and item statistics."""
