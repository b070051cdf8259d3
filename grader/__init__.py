"""grader: offline, explainable grading of free-text answers to deep-learning interview questions.

Public API::

    from grader import Grader
    grade = Grader().grade(answer_text, question="batchnorm")
"""

from grader.api import Grader, GradeRequest
from grader.errors import GraderError, InputError, JudgeError, ModelError, UnknownQuestion
from grader.results import Grade, PointResult
from grader.rubric import Rubric, RubricPoint, RubricSet

__version__ = "0.1.0"

__all__ = [
    "Grade",
    "GradeRequest",
    "Grader",
    "GraderError",
    "InputError",
    "JudgeError",
    "ModelError",
    "PointResult",
    "Rubric",
    "RubricPoint",
    "RubricSet",
    "UnknownQuestion",
    "__version__",
]
