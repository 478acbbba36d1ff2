"""Highlighting and snippets on real notice text: exact outputs, escaping, speed on long laws."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from search_service.highlight import find_spans, highlight_title, mark, snippet
from search_service.textnorm import normalise

TITLE = "省委第九巡视组向长兴岛经济技术开发区党工委反馈巡视情况"
#: The longest criminal-law text in the corpus used here (中华人民共和国刑法, 72,881 characters).
CRIMINAL_LAW = "law-bd8528ce180b"
#: The longest body in the corpus (人民检察院刑事诉讼规则, 105,371 characters).
LONGEST = "law-2d2e7728f9c7"
#: A press conference that quotes the name COVID-19.
COVID_BRIEFING = "mfa-1674664"
#: 上海口岸服务条例, which ends its penalty chapter with a pasted-phrase query from queries.tsv.
PORT_REGULATION = "law-69a4c154d0af"
SENTENCE_ENDS = "。；;！？!?"
CLAUSE_ENDS = "，,、：:"


def _plain(html: str) -> str:
    """Return the snippet with <em> tags removed (escapes left alone)."""
    return re.sub(r"</?em>", "", html)


def _fragments(html: str) -> list[str]:
    """Return the plain text of each fragment, without the leading/trailing ellipsis."""
    return [part.strip("…") for part in _plain(html).split(" … ")]


@pytest.fixture(scope="module")
def sample_body(corpus_dir: Path) -> str:
    """The sample notice body: the paragraphs after the blank line, two-space indent removed."""
    raw = (corpus_dir / "raw" / "seed-changxingdao-2024-08-20.txt").read_text(encoding="utf-8")
    _header, _, rest = raw.partition("\n\n")
    return "\n".join(paragraph[2:] for paragraph in rest.split("\n\n"))


@pytest.fixture(scope="module")
def records(corpus_dir: Path) -> dict[str, dict]:
    """The few corpus records these tests use, by id."""
    wanted = {CRIMINAL_LAW, LONGEST, COVID_BRIEFING, PORT_REGULATION}
    found: dict[str, dict] = {}
    with (corpus_dir / "notices.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in wanted:
                found[record["id"]] = record
    assert set(found) == wanted
    return found


# --- titles and spans ---------------------------------------------------------------


def test_title_marks_every_occurrence() -> None:
    assert highlight_title(TITLE, ["巡视"]) == "省委第九<em>巡视</em>组向长兴岛经济技术开发区党工委反馈<em>巡视</em>情况"


def test_overlapping_needles_merge_into_one_em() -> None:
    assert highlight_title(TITLE, ["巡视", "视组"]) == (
        "省委第九<em>巡视组</em>向长兴岛经济技术开发区党工委反馈<em>巡视</em>情况"
    )


def test_adjacent_needles_merge_into_one_em() -> None:
    sentence = "对本轮巡视整改工作作出总体部署。"
    assert highlight_title(sentence, ["巡视", "整改"]) == "对本轮<em>巡视整改</em>工作作出总体部署。"


def test_needle_crossing_a_word_boundary() -> None:
    sentence = "对本轮巡视整改工作作出总体部署。"
    assert highlight_title(sentence, ["整改工"]) == "对本轮巡视<em>整改工</em>作作出总体部署。"


def test_two_characters_of_a_longer_name() -> None:
    sentence = "8月16日,省委第九巡视组组长赵凤民分别向区党工委书记赵东及领导班子成员反馈巡视情况;"
    assert highlight_title(sentence, ["凤民"]) == (
        "8月16日,省委第九巡视组组长赵<em>凤民</em>分别向区党工委书记赵东及领导班子成员反馈巡视情况;"
    )


def test_full_width_comma_matches_ascii_comma_text() -> None:
    sentence = "根据省委部署,8月14日,省委巡视工作领导小组召开十三届省委第五轮巡视集中反馈会议,"
    needle = normalise("8月14日，省委")
    assert needle == "8月14日,省委"
    expected = "根据省委部署,<em>8月14日,省委</em>巡视工作领导小组召开十三届省委第五轮巡视集中反馈会议,"
    assert highlight_title(sentence, [needle]) == expected
    # A needle that was not normalised by the caller still matches.
    assert highlight_title(sentence, ["8月14日，省委"]) == expected


def test_latin_needle_matches_upper_case_text() -> None:
    sentence = "世卫组织将新冠病毒命名为“COVID-19”，就是不将该名称同任何地区和国家相联系。"
    assert highlight_title(sentence, ["covid"]) == (
        "世卫组织将新冠病毒命名为“<em>COVID</em>-19”，就是不将该名称同任何地区和国家相联系。"
    )


def test_title_escaping() -> None:
    assert highlight_title("A<B&C", ["b"]) == "A&lt;<em>B</em>&amp;C"
    assert highlight_title('"A"&', ["a"]) == "&quot;<em>A</em>&quot;&amp;"
    law = "最高人民法院关于适用《中华人民共和国刑事诉讼法》的解释"
    assert highlight_title(law, ["刑事诉讼法"]) == (
        "最高人民法院关于适用《中华人民共和国<em>刑事诉讼法</em>》的解释"
    )


def test_precomputed_title_norm_is_used() -> None:
    title = "COVID-19 Response"
    assert highlight_title(title, ["response"], title_norm=normalise(title)) == (
        "COVID-19 <em>Response</em>"
    )


def test_no_needles_and_blank_needles_mark_nothing() -> None:
    assert highlight_title(TITLE, []) == TITLE
    assert highlight_title(TITLE, ["", "  "]) == TITLE
    assert highlight_title(TITLE, ["不存在"]) == TITLE


def test_find_spans_sorted_and_merged() -> None:
    assert find_spans("巡视巡视", ["巡视"]) == [(0, 4)]
    assert find_spans(normalise(TITLE), ["情况", "巡视"]) == [(4, 6), (23, 27)]
    assert TITLE[23:27] == "巡视情况"
    assert find_spans(normalise(TITLE), ["巡视", "视组", "组"]) == [(4, 7), (23, 25)]


def test_find_spans_limit_gives_a_consistent_prefix(sample_body: str) -> None:
    norm = normalise(sample_body)
    everything = find_spans(norm, ["巡视"])
    assert len(everything) == 44
    assert find_spans(norm, ["巡视"], limit=3) == everything[:3] == [(15, 17), (33, 35), (56, 58)]
    # 郝鹏 comes after the third 巡视, where the search for 巡视 stopped: it is left out
    # rather than reported with gaps before it.
    assert find_spans(norm, ["巡视", "郝鹏"], limit=3) == [(15, 17), (33, 35), (56, 58)]
    assert (83, 85) in find_spans(norm, ["巡视", "郝鹏"])
    assert sample_body[83:85] == "郝鹏"


def test_mark_clips_spans_to_the_window() -> None:
    assert mark("对本轮巡视整改工作", [(3, 7)], 5, 9) == "<em>整改</em>工作"
    assert mark("对本轮巡视整改工作", [(3, 7)], 0, 4) == "对本轮<em>巡</em>"
    assert mark("A<B&C", [(1, 2)]) == "A<em>&lt;</em>B&amp;C"


# --- snippets ---------------------------------------------------------------------


def test_snippet_sample_body_cut_at_sentences(sample_body: str) -> None:
    html = snippet(sample_body, ["巡视整改"])
    assert html.count("<em>") == 9
    assert html.count("<em>巡视整改</em>") == 9
    fragments = _fragments(html)
    assert len(fragments) == 3
    assert fragments[0].startswith("党工委要切实担起巡视整改主体责任,")
    assert fragments[0].endswith("对巡视移交的问题线索要依规依纪依法处置。")
    for fragment in fragments:
        assert fragment[-1] in SENTENCE_ENDS + CLAUSE_ENDS or fragment + "\n" in sample_body
        assert len(fragment) <= 240
    assert "\n" not in html
    # Fragments come in document order.
    offsets = [sample_body.index(fragment[:20]) for fragment in fragments]
    assert offsets == sorted(offsets)


def test_snippet_exact_output_for_a_name(sample_body: str) -> None:
    assert snippet(sample_body, ["凤民"], fragments=1) == (
        "8月16日,省委第九巡视组组长赵<em>凤民</em>分别向区党工委书记赵东及领导班子成员"
        "反馈巡视情况;市委常委、纪委书记、监委主任陈建军代表大连市委提出整改要求;"
        "赵东主持会议并作表态发言。"
    )


def test_snippet_newlines_become_spaces(sample_body: str) -> None:
    html = snippet(sample_body, ["凤民"])
    assert html.count("<em>凤民</em>") == 3
    assert "赵<em>凤民</em>提出四项整改意见建议: 一要深入贯彻落实党中央决策部署" in html
    assert "\n" not in html


def test_snippet_cut_mid_sentence_at_clauses_has_ellipses(sample_body: str) -> None:
    # The first paragraph is one 148-character sentence; at size 30 it is cut at its
    # enumeration comma and the ASCII comma after the match.
    assert snippet(sample_body, ["郝鹏"], size=30) == (
        "…省人大常委会主任<em>郝鹏</em>在听取省委第五轮巡视综合情况汇报时的讲话精神,…"
    )


def test_snippet_covers_distinct_needles_first(sample_body: str) -> None:
    html = snippet(sample_body, ["郝鹏", "纪工委"])
    assert "<em>郝鹏</em>" in html and "<em>纪工委</em>" in html
    assert _fragments(html)[1] == "纪工委要加强对巡视整改工作的检查监督,对巡视移交的问题线索要依规依纪依法处置。"


def test_snippet_without_match_is_the_opening(sample_body: str) -> None:
    first_paragraph = sample_body.split("\n")[0]
    assert len(first_paragraph) == 148
    for needles in (["不存在的词"], [], [" "]):
        html = snippet(sample_body, needles)
        assert html == first_paragraph
        assert html.startswith("根据省委部署,8月14日,省委巡视工作领导小组召开十三届省委第五轮巡视集中反馈会议,")
        assert "<em>" not in html


def test_snippet_empty_body() -> None:
    assert snippet("", ["巡视"]) == ""
    assert snippet("", []) == ""


def test_snippet_escapes_the_body() -> None:
    assert snippet('A<B&C。"引号"', ["b", "引号"]) == "A&lt;<em>B</em>&amp;C。&quot;<em>引号</em>&quot;"


def test_snippet_never_cuts_through_a_match(records: dict[str, dict]) -> None:
    body = records[PORT_REGULATION]["body"]
    needle = normalise("构成犯罪的，依法追究刑事责任")
    for size in (10, 20, 40, 120):
        html = snippet(body, [needle], size=size)
        assert "<em>构成犯罪的，依法追究刑事责任</em>" in html
    assert snippet(body, [needle], size=20) == (
        "<em>构成犯罪的，依法追究刑事责任</em>。 第六章  附则"
    )


def test_snippet_latin_case(records: dict[str, dict]) -> None:
    html = snippet(records[COVID_BRIEFING]["body"], ["covid"])
    assert html.startswith("世卫组织将新冠病毒命名为“<em>COVID</em>-19”，")
    assert html.count("<em>") == 1


def test_snippet_long_law(records: dict[str, dict]) -> None:
    body = records[CRIMINAL_LAW]["body"]
    assert len(body) == 72881
    for needles in (["个人信息"], ["罚金", "个人信息"]):
        html = snippet(body, needles, body_norm=normalise(body))
        fragments = _fragments(html)
        assert 1 <= len(fragments) <= 3
        assert all(len(fragment) <= 240 for fragment in fragments)
        for needle in needles:
            assert f"<em>{needle}</em>" in html
        assert "<" not in _plain(html) and ">" not in _plain(html)
    html = snippet(body, ["个人信息"])
    assert html.startswith("第二百五十三条之一 违反国家有关规定，向他人出售或者提供公民<em>个人信息</em>，")


def test_snippet_size_and_fragments_respected(records: dict[str, dict]) -> None:
    body = records[LONGEST]["body"]
    for size in (30, 80, 200):
        html = snippet(body, ["检察院", "罚款"], size=size, fragments=2)
        fragments = _fragments(html)
        assert len(fragments) <= 2
        assert all(len(fragment) <= 2 * size for fragment in fragments)
        assert "<em>罚款</em>" in html


def test_snippet_bounded_on_the_longest_body(records: dict[str, dict]) -> None:
    body = records[LONGEST]["body"]
    assert len(body) == 105371
    body_norm = normalise(body)
    # Frequent needles on 105k characters stay bounded (speed is measured in bench/).
    for needles in (["的"], ["，"], ["检察院", "的", "罚款"], ["zzz"]):
        html = snippet(body, needles, body_norm=body_norm)
        assert len(_fragments(html)) <= 3


def _boundary_texts(records: dict[str, dict]) -> list[str]:
    """The sample's normalised bodies and the edge cases of marks, closers and spaces."""
    texts = [normalise(b) for b in (r["body"] for r in records.values()) if b]
    return texts + ["”“abc。”  def", "  。”x", "\n\n。", "abc", "”", "。。。”’ ", " \n x"]


def test_fragment_ends_are_the_same_as_testing_every_position(small_records) -> None:
    """_nearest_end finds ends by regular expression; it must agree with the plain scan."""
    import random

    from search_service import highlight as h

    def every_position(norm, lo, hi, target, marks):
        best = None
        for pos in range(max(lo, 1), min(hi, len(norm)) + 1):
            if h._is_end(norm, pos, marks) and (best is None
                                                 or abs(pos - target) < abs(best - target)):
                best = pos
        return best

    rng = random.Random(7)
    texts = _boundary_texts(small_records)
    checked = 0
    for norm in texts:
        for _ in range(30):
            lo = rng.randrange(0, len(norm) + 1)
            hi, target = lo + rng.randrange(0, 300), lo + rng.randrange(0, 200)
            for marks in (h.SENTENCE_END, h.CLAUSE_END):
                assert h._nearest_end(norm, lo, hi, target, marks) == \
                    every_position(norm, lo, hi, target, marks), (norm[lo:hi], lo, hi, target)
                checked += 1
    assert checked == len(texts) * 60


def test_fragment_starts_are_the_same_as_testing_every_position(small_records) -> None:
    """_latest_start searches backwards by regular expression; it must agree with the
    plain scan of every position from the last."""
    import random

    from search_service import highlight as h

    def every_position(norm, lo, hi, marks):
        for pos in range(min(hi, len(norm)), max(lo, 0) - 1, -1):
            if h._is_start(norm, pos, marks):
                return pos
        return None

    rng = random.Random(11)
    texts = _boundary_texts(small_records) + [""]
    checked = 0
    for norm in texts:
        for _ in range(30):
            lo = rng.randrange(0, len(norm) + 1)
            hi = lo + rng.randrange(0, 300)
            for marks in (h.SENTENCE_END, h.CLAUSE_END):
                assert h._latest_start(norm, lo, hi, marks) == \
                    every_position(norm, lo, hi, marks), (norm[lo:hi], lo, hi)
                checked += 1
    assert checked == len(texts) * 60
