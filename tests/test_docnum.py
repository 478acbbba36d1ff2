"""Document numbers and 《title》 citations: real sentences of the corpus, and every spelling."""

from __future__ import annotations

import pytest

from search_service import docnum

#: Sentences from the shared corpus (law-730e0941de6a, law-7950356ad152, law-735dd62ae3bd,
#: law-525126759709, law-65e3996073d2, law-000a5e4362e6, law-3d9517a5aa13), as published.
REAL = [
    ("审理非法行医刑事案件具体应用法律若干问题的解释》（法释〔2008〕5号，以下简称《解释",
     [("法释〔2008〕5号", "法释〔2008〕5号")]),
    ("〉行政处罚办法》，1985年11月30日市人民政府京政发〔1985〕167号文件发布、根据1",
     [("京政发〔1985〕167号", "京政发〔1985〕167号")]),
    ("第九条 凡需新辟军民合用机场，按国办发(1985)49号文件规定办理。",
     [("国办发(1985)49号", "国办发〔1985〕49号")]),
    ("1998年9月17日，我院以法〔1998〕86号通知印发了《关于",
     [("法〔1998〕86号", "法〔1998〕86号")]),
    ("物的案件具体应用法律的若干问题的解释》（法（研）发〔1987〕32号）同时废止；之前",
     [("法（研）发〔1987〕32号", "法(研)发〔1987〕32号")]),
    ("关于职工全年月平均工作时间和工资折算问题的通知》（劳社部发[2000]8号）同时废止。",
     [("劳社部发[2000]8号", "劳社部发〔2000〕8号")]),
    # A year and sequence without an agency is not a document number.
    ("院、中央军委《关于军队参加营区外义务植树的指示》(〔1982〕3号)的规定执行；营", []),
]


@pytest.mark.parametrize("text,expected", REAL, ids=[e[0][:12] for e in REAL])
def test_numbers_in_real_sentences(text, expected) -> None:
    found = docnum.find_numbers(text)
    assert [(f.written, f.normalised) for f in found] == expected
    for f in found:
        assert text[f.start:f.end] == f.written


@pytest.mark.parametrize("written", [
    "国办发〔2017〕47号", "国办发[2017]47号", "国办发(2017)47号", "国办发（2017）47号",
    "国办发【2017】47号", "国办发［2017］47号", "国办发〔2017〕第47号", "国办发〔2017〕047号",
    "国办发 〔 2017 〕 47 号", "国办发〔２０１７〕４７号", "国办发（2017）第0047号",
    "  国办发[2017]47号\u00a0",
])
def test_every_spelling_normalises_to_the_standard_form(written) -> None:
    assert docnum.normalise(written) == "国办发〔2017〕47号"


@pytest.mark.parametrize("text", [
    "国办发", "〔2017〕47号", "2017年47号", "国办发〔2017〕0号", "国办发〔1850〕3号",
    "根据国办发〔2017〕47号", "国办发〔2017〕47号文件", "巡视整改", "",
])
def test_what_is_not_one_document_number(text) -> None:
    assert docnum.normalise(text) is None


def test_other_agencies_keep_their_codes() -> None:
    assert docnum.normalise("大政发[2024]3号") == "大政发〔2024〕3号"
    assert docnum.normalise("辽委巡办字（2024）第012号") == "辽委巡办字〔2024〕12号"


def test_own_number_stands_alone_near_the_top() -> None:
    body = "国办发〔2017〕47号\n各省、自治区、直辖市人民政府：\n现提出以下意见。"
    assert docnum.own_number("国务院办公厅关于…的意见", body) == "国办发〔2017〕47号"
    cites = "为贯彻落实《意见》（国办发[2017]47号）精神，提出如下实施意见。"
    assert docnum.own_number("实施意见", cites) is None
    assert docnum.own_number("关于印发方案的通知（大政发〔2024〕3号）", "正文") == "大政发〔2024〕3号"
    assert docnum.own_number("通知", "正文", {"文号": "京政发[1985]167号"}) == "京政发〔1985〕167号"


def test_cited_titles_in_order_without_repeats() -> None:
    body = ("根据《中华人民共和国行政处罚法》和《国务院关于进一步推进相对集中行政处罚权工作的决定》，"
            "依照《中华人民共和国行政处罚法》第十六条")
    assert docnum.cited_titles(body) == ["中华人民共和国行政处罚法",
                                         "国务院关于进一步推进相对集中行政处罚权工作的决定"]
