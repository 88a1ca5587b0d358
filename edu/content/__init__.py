"""The pure content layer: courses/ on disk -> validated, frozen course values. No Flask, no DB."""

from .loader import LoadResult, Problem, load_course

__all__ = ["LoadResult", "Problem", "load_course"]
