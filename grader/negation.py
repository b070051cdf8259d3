"""Sentences that deny their own content: "It is not true that BN normalizes activations."

Sentence embeddings barely register negation, so such a sentence sits as close to the point it
denies as the point itself: an answer of "It is not true that <point>" for every point scored
8.8-10. A denied sentence earns no credit for any point, neither a correct one nor a
misconception (a refutation like "it is false that BN normalizes weights" is not the mistake).

Only explicit frames that negate a whole claim are listed; "not all layers need BN", 并非所有,
"常に必要なわけではない" or "это не так уж много" state something and keep their credit (a
rubric point may say exactly that). No eval/ answer uses a frame.
"""

from __future__ import annotations

import re

_DENIAL = re.compile(
    r"""
    ^\W*(?:
        (?:it\s+is|it's|it\s+isn't|that's|that\s+is)\s+(?:not\s+true|false|not\s+the\s+case|untrue|a\s+myth|a\s+misconception)\s+that
      | (?:неверно|неправда|не\s+верно|ложно|это\s+миф|ошибочно\s+(?:считать|думать|полагать)),?\s+что
      | (?:其实)?(?:并不是说|不是说)
    )
    | (?:的说法|这种说法|这个说法|的观点)(?:是)?(?:错误的|不对的?|不正确的?|是错的)\W*$
    | (?:というのは|という説は|という考えは)(?:誤り|間違い|正しくない|嘘|誤解)
    | というわけではない\W*$ | というわけではありません\W*$
    """,
    re.IGNORECASE | re.VERBOSE,
)


def denies(sentence: str) -> bool:
    """True when `sentence` is framed as denying its content ("It is not true that...",
    "Неверно, что...", "不是说...", "...というのは誤りです")."""
    return bool(_DENIAL.search(sentence.strip()))
