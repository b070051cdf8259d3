"""Errors the user can act on. The CLI prints `str(error)` as one line and exits non-zero."""

from __future__ import annotations


class GraderError(Exception):
    """Base class: a problem with the input or the setup, explained in one line."""


class InputError(GraderError):
    """The answer or file cannot be graded as given (empty, binary, missing, unreadable)."""


class UnknownQuestion(GraderError):
    """No rubric matches the question id, alias or text."""

    def __init__(self, name: str, suggestion: str | None = None) -> None:
        self.name = name
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        super().__init__(
            f"unknown question {name!r}{hint} (see `grade rubrics list` for the ids)"
        )


class ModelError(GraderError):
    """A model is missing, corrupt or cannot be loaded."""


class JudgeError(GraderError):
    """The LLM judge could not be reached or did not answer usably."""
