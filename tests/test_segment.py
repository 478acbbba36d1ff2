"""rjieba cuts runs of ideographs; the tokens must be jieba's, offsets included."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest

from search_service import segment
from search_service.textnorm import normalise


@pytest.fixture(autouse=True)
def _rjieba_on(dictionaries):
    # The session fixture has loaded jieba with the repository's user dictionary.
    assert segment.use_rjieba(True), "rjieba is a declared dependency"
    yield
    segment.use_rjieba(True)


@pytest.mark.parametrize("text", [
    "增长36.5%，同比20-21年",  # digits and punctuation: jieba keeps 36.5% whole
    "大连经济技术开发区长兴岛",  # user-dictionary words (经济技术开发区, 长兴岛)
    "关于印发《政府信息公开工作年度报告》的通知",  # user word inside a title
    "2021年3月5日 国务院办公厅\r\n发布",  # mixed blocks, \r\n and spaces
    "赵凤民同志任巡视组组长",  # HMM on an unknown name
    "ABC-123 e.g. c++ 5G网络",  # Latin words and symbols
    "",  # nothing
])
def test_tokens_are_jiebas(text: str) -> None:
    assert list(segment.tokenize(text)) == list(jieba.tokenize(text))


def test_user_dictionary_reaches_rjieba() -> None:
    # jieba's own dictionary alone cuts 巡视 / 整改 and 人类 / 命运 / 共同体.
    words = [w for w, _, _ in segment.tokenize("开展巡视整改工作，推动构建人类命运共同体")]
    assert words == ["开展", "巡视整改", "工作", "，", "推动", "构建", "人类命运共同体"]


def test_off_means_jieba_alone() -> None:
    assert not segment.use_rjieba(False)
    assert not segment.rjieba_in_use()
    text = "增长36.5%，同比20-21年"
    assert list(segment.tokenize(text)) == list(jieba.tokenize(text))


@pytest.mark.corpus
def test_tokens_are_jiebas_over_the_corpus(corpus_dir: Path) -> None:
    differ = []
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            for key in ("title", "body"):
                text = normalise(record[key] or "")  # what the analyzer segments
                if list(segment.tokenize(text)) != list(jieba.tokenize(text)):
                    differ.append(f"{record['id']}:{key}")
    assert differ == []
