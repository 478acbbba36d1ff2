"""Normalisation on real text: traditional/simplified, width, spaces, case; length kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service.analysis import jieba_terms, ngram_terms
from search_service.highlight import find_spans
from search_service.textnorm import _TABLE, T2S_RANGES, _generate_t2s_table, is_han, normalise

#: 1954年中华人民共和国国务院政府工作报告, written in traditional characters (also in tests/data).
TRAD_REPORT = "report-ab6a242c70"
TRAD = "我國國民經濟能够沿着社會主義的道路而得到有計劃的迅速的發展，以便提高人民的物質生活"
SIMP = "我国国民经济能够沿着社会主义的道路而得到有计划的迅速的发展，以便提高人民的物质生活"
SAMPLE = "seed-changxingdao-2024-08-20"
TITLE = "省委第九巡视组向长兴岛经济技术开发区党工委反馈巡视情况"

#: Five real simplified sentences (record id, sentence, expected normalise output):
#: only the width, space and case folds apply, no Han character changes.
SIMPLIFIED = [
    (SAMPLE, "根据省委部署,8月14日,省委巡视工作领导小组召开十三届省委第五轮巡视集中反馈会议",
     "根据省委部署,8月14日,省委巡视工作领导小组召开十三届省委第五轮巡视集中反馈会议"),
    ("mfa-312430", "答：台湾问题涉及中国的核心利益。", "答:台湾问题涉及中国的核心利益。"),
    ("mfa-312487", "温总理将于明天参加亚洲合作对话（ACD）第四次外长会议开幕式，并将在会上发表讲话。",
     "温总理将于明天参加亚洲合作对话(acd)第四次外长会议开幕式,并将在会上发表讲话。"),
    ("law-001cd9d0c498", "第四条 各级人民政府应当将农业机械事业纳入国民经济和社会发展计划，增加对农业机械事业的投入",
     "第四条 各级人民政府应当将农业机械事业纳入国民经济和社会发展计划,增加对农业机械事业的投入"),
    ("law-0127cecf3054", "营业额合计超过120亿元人民币，并且其中至少两个经营者上一会计年度在中国境内的营业额均超过8亿元人民币；",
     "营业额合计超过120亿元人民币,并且其中至少两个经营者上一会计年度在中国境内的营业额均超过8亿元人民币;"),
]


@pytest.fixture(scope="module")
def corpus_records(corpus_dir: Path) -> list[dict]:
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


# --- traditional and simplified ----------------------------------------------------


def test_traditional_report_normalises_to_its_simplified_form(small_records):
    body = small_records[TRAD_REPORT]["body"]
    assert TRAD in body
    assert normalise(TRAD) == normalise(SIMP) == SIMP.replace("，", ",")
    assert ngram_terms(TRAD) == ngram_terms(SIMP)
    assert jieba_terms(TRAD) == jieba_terms(SIMP)


def test_simplified_query_highlights_the_traditional_original(small_records):
    body = small_records[TRAD_REPORT]["body"]
    spans = find_spans(normalise(body), [normalise("经济建设")])
    assert spans and all(body[a:b] == "經濟建設" for a, b in spans)


def test_traditional_query_highlights_the_simplified_original():
    spans = find_spans(normalise(TITLE), [normalise("經濟技術開發區")])
    assert [TITLE[a:b] for a, b in spans] == ["经济技术开发区"]


@pytest.mark.parametrize("trad, simp", [
    ("經", "经"), ("發", "发"), ("國", "国"), ("於", "于"), ("後", "后"), ("麵", "面"),
    ("隻", "只"), ("髮", "发"), ("製", "制"), ("徵", "征"), ("乾", "干"), ("著", "著"),
    ("\uf900", "岂"), ("\uf901", "\u66f4"), ("薴", "苎"),  # compatibility ideographs; a chain
])
def test_single_characters_fold(trad, simp):
    assert normalise(trad) == simp
    assert normalise(simp) == simp


def test_simplified_characters_stay_as_they_are(raw_dir, small_records):
    texts = [(raw_dir / f"{SAMPLE}.txt").read_text(encoding="utf-8")]
    texts += [r["title"] + r["body"] for r in small_records.values() if r["id"] != TRAD_REPORT]
    han = {c for text in texts for c in text if is_han(c)}
    assert len(han) > 1500
    assert {c for c in han if normalise(c) != c} == set()


@pytest.mark.parametrize("record_id, sentence, expected", SIMPLIFIED)
def test_simplified_sentences_change_only_width_space_and_case(small_records, record_id,
                                                               sentence, expected):
    assert sentence in small_records[record_id]["body"]
    assert normalise(sentence) == expected


def test_t2s_table_matches_the_installed_opencc():
    import opencc

    converter = opencc.OpenCC("t2s.json")
    table = _generate_t2s_table()
    assert len(table) > 4000
    for first, last in T2S_RANGES:
        for code in range(first, last + 1):
            simp = converter.convert(chr(code))
            if len(simp) == 1 and simp != chr(code):
                # The table holds OpenCC's answer, or where that folds again, the chain's end.
                assert table[code] in (simp, table.get(ord(simp))), chr(code)
            else:
                assert code not in table, chr(code)


def test_simplified_corpus_changes_only_the_listed_characters(corpus_records):
    """Outside the reports, only these change: 乾 噁 扞 馼 鱀 鮡 are simplified-valid (乾迪纳尤,
    二噁英, 扞卫, 马馼, 白鱀豚, 黑斑原鮡), the others are stray traditional characters."""
    changed: set[str] = set()
    for record in corpus_records:
        if not record["id"].startswith("report-"):
            text = (record.get("title") or "") + (record.get("body") or "")
            changed |= {c for c in set(text) if is_han(c) and normalise(c) != c}
    assert changed == set("乾噁扞馼鱀鮡" "於奧瀉別贏諮")


# --- width, spaces, case ------------------------------------------------------------


def test_spaces_fold_to_ascii_space():
    assert normalise("a\u00a0b\u3000c\u2002d\u202fe\ufefff") == "a b c d e f"


def test_full_width_letters_digits_and_punctuation_fold():
    assert normalise("ＡＢＣａｂｃ０１２") == "abcabc012"
    assert normalise("，：（）；！？") == ",:();!?"
    assert normalise("（一）第１条：") == "(一)第1条:"


def test_latin_case_folds():
    assert normalise("COVID-19 WTO Ω Д É") == "covid-19 wto ω д é"


# --- properties over the table and the corpus ---------------------------------------


def test_table_is_one_to_one_character_and_idempotent():
    for code, out in _TABLE.items():
        assert len(out) == 1, hex(code)
        assert _TABLE.get(ord(out), out) == out, hex(code)
        if is_han(chr(code)):
            assert is_han(out), hex(code)


def test_length_preserved_for_every_corpus_record(corpus_records):
    assert len(corpus_records) == 6673
    for record in corpus_records:
        for key in ("title", "body"):
            text = record.get(key) or ""
            assert len(normalise(text)) == len(text), record["id"]


def test_idempotent_over_a_corpus_sample(corpus_records):
    sample = corpus_records[::10] + [r for r in corpus_records if r["id"].startswith("report-")]
    for record in sample:
        once = normalise(record["body"])
        assert normalise(once) == once, record["id"]


def test_normalise_is_the_table_applied_to_every_character(small_records):
    # The fast path (common marks replaced, then runs of the rest) is exactly translate.
    for record in small_records.values():
        for key in ("title", "body"):
            text = record.get(key) or ""
            assert normalise(text) == text.translate(_TABLE), record["id"]


@pytest.mark.corpus
def test_normalise_is_the_table_over_the_corpus(corpus_records):
    for record in corpus_records:
        text = (record.get("title") or "") + "\n" + (record.get("body") or "")
        assert normalise(text) == text.translate(_TABLE), record["id"]
