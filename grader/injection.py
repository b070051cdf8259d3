"""Text in an answer that addresses the grader instead of the question.

Such sentences are removed before scoring (the answer is graded on its real content only)
and the grade is flagged `instruction-in-answer`. Removing them, rather than penalising, keeps
the rule simple to state: an injection can never raise a score above what the same answer
without it gets.
"""

from __future__ import annotations

import re

from grader.segment import detect_language, sentences

_PATTERNS = [
    # English
    r"ignore (all |any )?(the )?(previous|prior|above|earlier) (instructions|rules|prompts?)",
    r"disregard (the )?(rubric|instructions|previous)",
    # "give this answer 10", "rate me full marks"; not "give the gradient a maximum norm" or
    # "a small learning rate: the loss needs 100 epochs".
    r"\b(give|grade|score|rate|mark|award)\s+(this|me|it|(the|my|this) (answer|response|reply|solution))\b[^.]{0,40}"
    r"\b(10|ten|100|(full|top|perfect|max|maximum|highest) (marks?|score|points?|grade|credit))\b",
    r"\b(10|ten)\s*/\s*10\b|\b100\s*/\s*100\b|full marks",
    r"\b(as|you are) (an? )?(the )?(grader|evaluator|examiner|judge|assistant|ai|language model)\b",
    r"\b(note|message|instruction)s? (to|for) (the )?(grader|evaluator|examiner|ai|model|reviewer)\b",
    r"(^|[\s>\]])(system|assistant|grader)\s*:",
    r"</?\s*(answer|system|instructions?|rubric|prompt|candidate_answer)\s*>",
    r"all (rubric )?points (are|were) (met|covered|satisfied)",
    r"\bthis answer (is|deserves|should (get|receive))\b[^.]{0,40}\b(correct|perfect|full|10|maximum)\b",
    # A sentence that is nothing but a top score ("Grade = 10.", "10点。", "Оценка: 10/10"),
    # left behind when the instruction before it was removed: it added a sentence, and the
    # sentence count is a fitted signal.
    r"^\W*(grade|score|mark|rating|оценка|балл|分数|得分|评分|点数|評価|スコア)\W{0,3}(10|100)(\s*/\s*(10|100))?\W*$",
    r"^\W*(10|100)\s*(/\s*(10|100)\s*)?(points?|pts|点|分|баллов)\W*$",
    # JSON verdicts or scores pasted into the answer
    r"[{\[]\s*\"?(score|grade|verdict|rating|points?)\"?\s*:",
    r"\"(met|verdict|score)\"\s*:",
    # Chinese
    r"忽略(之前|以上|前面|上述)?的?(所有)?(指令|指示|说明|规则|要求)",
    r"(给|打|评)(这个|此|本)?(回答|答案)?\s*(满分|10\s*分|十分|最高分)",
    r"(满分|最高分|10\s*分(?!钟|之|类|布|组|割|支|段|位|析|开|别|成|解|批|块|量)|10/10)",  # 10分类: 10-class
    r"(评分|阅卷|打分)(系统|者|人|员|模型)",
    r"(此|这个|本)(回答|答案)(应|应该|必须)?(得|获得|给)",
    # Japanese
    r"(以前|前|上記|これまで)の(指示|命令|指令|ルール)を?(無視|忘れ)",
    r"(満点|(10|１０)\s*点\s*(を|で|に|満点|ください)|最高点|10/10)",  # not "正例が10点しかない" (10 samples)
    r"採点(者|システム|担当|AI|モデル)",
    r"この回答(は|に)[^。]{0,20}(満点|正解|与え)",
    # Russian
    r"игнорир\w*\s+(все\s+)?(предыдущ|прошл|вышеуказанн)\w*\s+(инструкц|указан|правил)",
    r"(поставь|поставьте|дай|дайте|оцени|оцените)\w*[^.]{0,40}(10|десять|максимальн|высш)",
    r"оценк\w*\s*[:\-—]?\s*10",
    r"\b(проверяющ|оценщик|экзаменатор|грейдер)\w*",
    r"все (пункты|критерии) (выполнены|засчитаны|покрыты)",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def is_injection(sentence: str) -> bool:
    return bool(_INJECTION.search(sentence))


def strip_injections(text: str) -> tuple[str, list[str]]:
    """The answer without sentences aimed at the grader, and the sentences removed."""
    kept: list[str] = []
    removed: list[str] = []
    for line in text.splitlines():
        parts = sentences(line)
        if not parts:
            continue
        line_kept = [s for s in parts if not is_injection(s)]
        removed += [s for s in parts if is_injection(s)]
        if line_kept:
            joiner = "" if detect_language(line) in ("zh", "ja") else " "
            kept.append(joiner.join(line_kept))
    if not removed:
        return text, []
    return "\n".join(kept), removed
