"""Sentence segmentation, language detection and denial frames for en/zh/ja/ru."""

from __future__ import annotations

import pytest

from grader.negation import denies
from grader.segment import CLAUSE_SPLIT_MAX_SENTENCES, clauses, detect_language, segments, sentences


def test_english_keeps_decimals_and_abbreviations() -> None:
    assert sentences("Use lr=0.01, e.g. with Adam. It converges! Does it? Yes, fast") == [
        "Use lr=0.01, e.g. with Adam.", "It converges!", "Does it?", "Yes, fast",
    ]


def test_cjk_full_width_terminators_without_spaces() -> None:
    assert sentences("批归一化很重要。它能加快训练！为什么？") == ["批归一化很重要。", "它能加快训练！", "为什么？"]
    assert sentences("正規化します。学習が速くなります。") == ["正規化します。", "学習が速くなります。"]


def test_russian_and_bullets() -> None:
    text = "Причины:\n- слишком большой шаг;\n• плохая инициализация.\n1) мало данных"
    assert sentences(text) == ["Причины:", "слишком большой шаг;", "плохая инициализация.", "мало данных"]
    # A sentence that opens with a decimal keeps it: "0.1" is not the bullet "0." plus "1".
    assert sentences("2. Start low. 0.1 is too high for Adam.") == ["Start low.", "0.1 is too high for Adam."]


def test_windows_join_adjacent_sentences() -> None:
    segs = segments("A is one. B is two. C is three.")
    assert [s.text for s in segs] == ["A is one.", "B is two.", "C is three.", "A is one. B is two.", "B is two. C is three."]
    cjk = segments("批归一化很重要。它能加快训练。")
    assert cjk[-1].text == "批归一化很重要。它能加快训练。"


def test_clauses_split_where_a_claim_can_end() -> None:
    assert clauses("Too high and it diverges, too low and it crawls; the fix is a sweep — e.g. a range test.") == [
        "Too high and it diverges,", "too low and it crawls;", "the fix is a sweep", "e.g. a range test.",
    ]
    assert clauses("梯度会指数级衰减到接近零，靠近输入的层几乎不更新，深层网络就很难训练。") == [
        "梯度会指数级衰减到接近零，", "靠近输入的层几乎不更新，", "深层网络就很难训练。",
    ]
    # Fragments too short to carry a claim join a neighbour; a decimal comma is no boundary.
    assert clauses("So, it is fine.") == ["So, it is fine."]
    assert clauses("Шаг 0,01 обычно хорош, но не всегда.") == ["Шаг 0,01 обычно хорош, но не всегда."]
    # Speech-to-text marks pauses in zh/ja with a space; written zh/ja has none between characters.
    assert clauses("太大的话就是会震荡 甚至发散 然后太小的话就是收敛特别慢") == ["太大的话就是会震荡", "甚至发散 然后太小的话就是收敛特别慢"]
    assert len(clauses("用当前 mini-batch 的均值和方差做归一化")) == 1
    # The subject before a copula dash names the topic and claims nothing.
    copula = "Батч-нормализация — это слой в сети, который нормализует данные, чтобы обучение шло лучше."
    assert clauses(copula) == ["Батч-нормализация — это слой в сети,", "который нормализует данные,", "чтобы обучение шло лучше."]


def test_short_answers_are_also_matched_clause_by_clause() -> None:
    terse = "Too high a rate makes the loss diverge, while too low a rate makes training crawl."
    segs = segments(terse)
    assert [s.text for s in segs if s.clause] == ["Too high a rate makes the loss diverge,", "while too low a rate makes training crawl."]
    assert [s.text for s in segs if s.is_plain_sentence] == [terse]  # clauses are not sentences
    long_answer = " ".join([terse] * (CLAUSE_SPLIT_MAX_SENTENCES + 1))
    assert not any(s.clause for s in segments(long_answer))  # longer answers spread claims over sentences


def test_long_run_on_sentence_is_cut_at_clauses() -> None:
    clause = "这是一个很长的分句"
    pieces = sentences("，".join([clause] * 80) + "。")
    assert len(pieces) > 1 and all(len(p) <= 50 for p in pieces)
    assert all(p.strip("，。").split("，") == [clause] * len(p.strip("，。").split("，")) for p in pieces)  # cut between clauses


def test_unpunctuated_speech_is_cut_into_sentence_sized_pieces() -> None:
    spoken = (
        "um so a neural network is uh basically a bunch of layers of neurons each neuron takes a weighted sum "
        "of its inputs plus a bias and passes it through a nonlinearity and you stack layers input hidden output "
        "and train the weights with backprop to map inputs to outputs"
    )
    pieces = sentences(spoken)
    assert len(pieces) == 3 and " ".join(pieces) == spoken  # between words, nothing lost
    assert all(14 <= len(p.split()) <= 20 for p in pieces)
    zh = "梯度下降就是一种优化方法嘛就是我们有一个损失函数然后计算损失函数对参数的梯度然后沿着梯度的反方向更新参数每次走一小步这个步长就是学习率然后一直迭代直到收敛太大的话就是会震荡甚至发散"
    assert "".join(sentences(zh)) == zh and len(sentences(zh)) == 2
    paused = "嗯 就是 它把每一层的输入 呃 在mini batch上做归一化 减均值除以标准差 然后再乘一个gamma加一个beta 这样 嗯 每层的输入分布比较稳定 可以用更大的学习率 训练更快 还有一点正则化的效果"
    assert len(sentences(paused)) == 2 and " ".join(sentences(paused)) == paused  # cut at a pause
    written = "Batch normalization normalizes each feature over the mini-batch, then scales and shifts it by learned parameters."
    assert sentences(written) == [written]  # a sentence of ordinary length is left whole


def test_a_claim_cut_between_speech_pieces_lies_whole_in_a_straddle() -> None:
    spoken = (
        "um so a neural network is uh basically a bunch of layers of neurons each neuron takes a weighted sum "
        "of its inputs plus a bias and passes it through a nonlinearity and you stack layers input hidden output "
        "and train the weights with backprop to map inputs to outputs"
    )
    claim = "each neuron takes a weighted sum"
    assert not any(claim in piece for piece in sentences(spoken))  # the cut falls inside it
    segs = segments(spoken)
    assert any(claim in s.text for s in segs if s.clause and s.first == s.last)
    assert not any(s.is_plain_sentence and claim in s.text for s in segs)  # not counted as a sentence
    zh = "梯度下降就是一种优化方法嘛就是我们有一个损失函数然后计算损失函数对参数的梯度然后沿着梯度的反方向更新参数每次走一小步这个步长就是学习率然后一直迭代直到收敛太大的话就是会震荡甚至发散"
    first, second = sentences(zh)
    assert any(first[-3:] + second[:3] in s.text for s in segments(zh) if s.clause)
    written = "Batch normalization normalizes each feature over the mini-batch. Then it scales and shifts it by learned parameters."
    assert not any(s.clause for s in segments(written))  # sentences that end in a full stop are not joined


def test_a_short_unpunctuated_answer_is_matched_in_overlapping_word_windows() -> None:
    """Speech-to-text marks no clauses: a two-claim answer was one vector ("bptt" 5.2 written,
    1.0 spoken)."""
    spoken = (
        "bptt это метод обучения рекуррентных сетей сеть разворачивают во времени то есть для каждого шага "
        "последовательности получается своя копия и дальше делают обычный backpropagation по этой развёрнутой сети"
    )
    assert sentences(spoken) == [spoken]
    windows = [s.text for s in segments(spoken) if s.clause]
    assert len(windows) > 2 and all(len(w.split()) <= 10 for w in windows)
    words = spoken.split()
    assert all(any(" ".join(words[k : k + 5]) in w for w in windows) for k in range(len(words) - 4))  # overlap
    assert not any(s.clause for s in segments("Too high and it diverges too low and it crawls."))  # short: left whole


def test_detect_language() -> None:
    assert detect_language("Batch normalization matters.") == "en"
    assert detect_language("批归一化很重要，因为它能稳定训练。") == "zh"
    assert detect_language("バッチ正規化は重要です。") == "ja"
    assert detect_language("Батч-нормализация важна, потому что стабилизирует обучение.") == "ru"
    assert detect_language("BN 可以加速 training 的收敛。") == "zh"


@pytest.mark.parametrize(
    ("sentence", "denied"),
    [
        ("It is not true that BN normalizes activations.", True),
        ("It's a myth that dropout slows training", True),
        ("Неверно, что BN нормирует веса.", True),
        ("不是说BN归一化权重，", True),
        ("BNが重みを正規化するというのは誤りです。", True),
        ("BN归一化权重的说法是错误的。", True),
        # Statements with a negation in them are claims, not denials: they keep their credit.
        ("Not all layers need BN.", False),
        ("并非所有层都需要BN。", False),
        ("BNは常に必要なわけではない。", False),
        ("10 миллионов — это не так уж много", False),
    ],
)
def test_denial_frames(sentence: str, denied: bool) -> None:
    assert denies(sentence) is denied


def test_markdown_tables_headings_and_emphasis_read_as_prose() -> None:
    table = "## Batch norm\n| step | what |\n|---|:--|\n| 1 | normalizes **activations** |\n| 2 | learnable `gamma` and beta |"
    assert sentences(table) == ["Batch norm", "step, what", "normalizes activations", "learnable gamma and beta"]
    # An absolute value is not a table.
    assert sentences("两头会饱和，|z|很大的时候梯度接近0。") == ["两头会饱和，|z|很大的时候梯度接近0。"]
