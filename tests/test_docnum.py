"""Document numbers and 《title》 citations: real sentences of the corpus, and every spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_service import docnum

#: Sentences of the shared corpus, quoted exactly, with the numbers found in them.
REAL = [
    # law-735dd62ae3bd: parentheses for the year, prose (按) before the code.
    ("第九条 凡需新辟军民合用机场，按国办发(1985)49号文件规定办理。",
     [("国办发(1985)49号", "国办发〔1985〕49号")]),
    # law-000a5e4362e6: square brackets.
    ("2000年3月17日劳动保障部发布的《关于职工全年月平均工作时间和工资折算问题的通知》"
     "（劳社部发[2000]8号）同时废止。",
     [("劳社部发[2000]8号", "劳社部发〔2000〕8号")]),
    # law-000a5e4362e6: an order number has no year, so it is not in the GB/T 9704 form.
    ("根据《全国年节及纪念日放假办法》（国务院令第513号）的规定，全体公民的节日假期由原来的"
     "10天增设为11天。", []),
    # law-7950356ad152: the issuing government is written before the code.
    ("1985年11月30日市人民政府京政发〔1985〕167号文件发布、根据1994年9月5日市人民政府"
     "第20号令修改的《北京市人民政府关于加强新建、改建居住区环境卫生管理的规定》",
     [("京政发〔1985〕167号", "京政发〔1985〕167号")]),
    # law-525126759709: a one-character code after prose (我院以).
    ("1998年9月17日，我院以法〔1998〕86号通知印发了《关于人民法院受理申请承认外国法院离婚"
     "判决案件几个问题的意见》",
     [("法〔1998〕86号", "法〔1998〕86号")]),
    # law-65e3996073d2: a code with a bracketed part.
    ("最高人民法院、最高人民检察院《关于办理盗窃、盗掘、非法经营和走私文物的案件具体应用法律的"
     "若干问题的解释》（法（研）发〔1987〕32号）同时废止；",
     [("法（研）发〔1987〕32号", "法（研）发〔1987〕32号")]),
    # law-875fc0f95642: 号文 after the number.
    ("除按照《国务院关于筹措农村学校办学经费的通知》(国发〔1984〕174号文)的规定，缴纳农村教育"
     "事业费附加的单位外，都应当依照本规定缴纳教育费附加。",
     [("国发〔1984〕174号", "国发〔1984〕174号")]),
    # law-33702c177800: three numbers in one sentence.
    ("《最高人民法院关于审理骗取出口退税刑事案件具体应用法律若干问题的解释》（法释〔2002〕30号）、"
     "《最高人民法院关于审理偷税、抗税刑事案件具体应用法律若干问题的解释》（法释〔2002〕33号）"
     "同时废止；之前的（法发〔1996〕30号）亦同",
     [("法释〔2002〕30号", "法释〔2002〕30号"), ("法释〔2002〕33号", "法释〔2002〕33号"),
      ("法发〔1996〕30号", "法发〔1996〕30号")]),
    # law-3d9517a5aa13: a year and a sequence without an agency code.
    ("按国务院、中央军委《关于军队参加营区外义务植树的指示》(〔1982〕3号)的规定执行；", []),
    # law-1fa2b07382e1: the old style with a two-digit year before the code is left out.
    ("财政部、国家税务总局《关于继续对宣传文化单位实行财税优惠政策的规定》(〔94〕财税字第089号)"
     "中规定的7类出版物", []),
    # mfa-364897: a UN resolution after a year.
    ("另外，这次中国对朝鲜的制裁与2006年1718号决议相比，在力度和规模上有哪些不同？", []),
    # mfa-1728334: the same.
    ("1971年10月，第26届联大通过第2758号决议，决定：", []),
]


@pytest.mark.parametrize("text,expected", REAL, ids=[e[0][:10] for e in REAL])
def test_numbers_in_real_sentences(text, expected) -> None:
    found = docnum.find_numbers(text)
    assert [(f.written, f.normalised) for f in found] == expected
    assert [text[f.start:f.end] for f in found] == [f.written for f in found]


@pytest.mark.parametrize("written", [
    "国办发〔2017〕47号",       # GB/T 9704 itself
    "国办发[2017]47号",         # ASCII square brackets
    "国办发(2017)47号",         # ASCII parentheses
    "国办发（2017）47号",       # full-width parentheses
    "国办发【2017】47号",       # lenticular brackets
    "国办发［2017］47号",       # full-width square brackets
    "国办发﹝2017﹞47号",       # small tortoise-shell brackets
    "国办发〔2017〕第47号",     # 第 before the sequence
    "国办发〔2017〕047号",      # zero padding
    "国办发 〔 2017 〕 47 号",  # scattered spaces
    "国办发〔２０１７〕４７号",  # full-width digits
    "國辦發〔2017〕47號",       # traditional characters
    "  国办发（2017）第0047号\u00a0",  # everything at once, padded with NBSP
])
def test_every_spelling_normalises_to_the_standard_form(written) -> None:
    assert docnum.normalise(written) == "国办发〔2017〕47号"
    assert docnum.looks_like_number(written)


@pytest.mark.parametrize("written,expected", [
    ("大政发[2024]3号", "大政发〔2024〕3号"),
    ("辽委巡办字（2024）第012号", "辽委巡办字〔2024〕12号"),
    ("高检发释字〔2025〕1号", "高检发释字〔2025〕1号"),
    ("法(研)发(1987)32号", "法（研）发〔1987〕32号"),  # the code's own brackets go full-width
    ("国发〔1949〕1号", "国发〔1949〕1号"),            # the first year accepted
])
def test_other_agencies_keep_their_codes(written, expected) -> None:
    assert docnum.normalise(written) == expected


@pytest.mark.parametrize("text", [
    "国办发",                   # a code alone
    "〔2017〕47号",             # no agency code
    "2017年47号",               # a year with 年 is a date
    "国办发2017年47号",         # the same with a code
    "国办发〔17〕47号",          # two-digit year
    "国办发〔1850〕3号",         # implausible year
    "国办发〔2017〕0号",         # sequence zero
    "国办发〔2017〕47",          # no 号
    "公安部令第104号",           # order number, no year
    "第47号令",                 # the same, shorter
    "电话：0411-87654321",      # a phone number
    "根据国办发〔2017〕47号",    # prose around the number
    "国办发〔2017〕47号文件",
    "国办发〔2017〕47号、国发〔2018〕1号",  # two numbers
    "中共大连市委办公室关于某事〔2017〕47号",  # a run too long to be a code
    "",
])
def test_what_is_not_one_document_number(text) -> None:
    assert docnum.normalise(text) is None
    assert not docnum.looks_like_number(text)


@pytest.mark.parametrize("text,number", [
    ("3月1日国发〔2017〕1号", "国发〔2017〕1号"),                      # a date before the code
    ("省政府办公厅辽政办发〔2017〕47号文件", "辽政办发〔2017〕47号"),  # the issuing office
    ("发文字号国办发〔2017〕47号", "国办发〔2017〕47号"),              # a label without a colon
    ("国务院国发〔2017〕1号", "国发〔2017〕1号"),
    ("中共大连市委大委发〔2024〕1号", "大委发〔2024〕1号"),
    ("印发了国发〔2017〕1号", "国发〔2017〕1号"),
    ("工信部联产业〔2017〕1号", "工信部联产业〔2017〕1号"),            # a long code stays whole
])
def test_prose_before_the_code_is_cut_off(text, number) -> None:
    assert [f.normalised for f in docnum.find_numbers(text)] == [number]


def test_find_numbers_keeps_offsets_repeats_and_the_written_form() -> None:
    text = "据国办发［２０１７］４７号，又据国办发〔2017〕47号。"
    found = docnum.find_numbers(text)
    assert found == [
        docnum.DocNumber("国办发［２０１７］４７号", "国办发〔2017〕47号", 1, 13),
        docnum.DocNumber("国办发〔2017〕47号", "国办发〔2017〕47号", 16, 28),
    ]


#: A notice written for the tests in the GB/T 9704 layout: header, own number on its own
#: line, then citations in the other spellings.
NOTICE_TITLE = "大连市人民政府关于印发某某实施方案的通知"
NOTICE_BODY = (
    "大连市人民政府文件\n"
    "大政发〔2024〕3号\u3000\u3000签发人：张三\n"
    "各区市县人民政府，市政府各委办局：\n"
    "为贯彻落实《国务院办公厅关于某某的意见》（国办发[2017]47号）和"
    "辽委巡办字（2024）第012号文件精神，参照国发【2018】１号、国办发〔2017〕047号，"
    "现将《某某实施方案》印发给你们，请认真贯彻执行。《》\n"
)


def test_a_written_notice() -> None:
    own = docnum.own_number(NOTICE_TITLE, NOTICE_BODY)
    assert own == "大政发〔2024〕3号"
    assert docnum.cited_numbers(NOTICE_TITLE, NOTICE_BODY, own) == [
        "国办发〔2017〕47号", "辽委巡办字〔2024〕12号", "国发〔2018〕1号"]
    assert docnum.cited_titles(NOTICE_BODY) == ["国务院办公厅关于某某的意见", "某某实施方案"]


def test_own_number_from_the_source_field_first() -> None:
    extra = {"文号": "京政发[1985]167号"}
    assert docnum.own_number(NOTICE_TITLE, NOTICE_BODY, extra) == "京政发〔1985〕167号"
    # A field that holds no number is passed over.
    assert docnum.own_number(NOTICE_TITLE, NOTICE_BODY, {"文号": "无"}) == "大政发〔2024〕3号"


@pytest.mark.parametrize("title,body,expected", [
    # law-db9557cd067d: the number under the header.
    ("最高人民法院 最高人民检察院关于办理强奸、猥亵未成年人刑事案件适用法律若干问题的解释",
     "最高人民法院 最高人民检察院\n关于办理强奸、猥亵未成年人刑事案件\n适用法律若干问题的解释\n"
     "法释〔2023〕3号\n为依法惩处强奸、猥亵未成年人犯罪，", "法释〔2023〕3号"),
    # law-e18d247a997a: zero-width spaces on the lines around it.
    ("最高人民法院、最高人民检察院关于办理环境污染刑事案件适用法律若干问题的解释",
     "\u200b\n最高人民法院 最高人民检察院\n关于办理环境污染刑事案件适用法律\n若干问题的解释\n"
     "\u200b\n法释〔2023〕7号\n\u200b\n为依法惩治环境污染犯罪，", "法释〔2023〕7号"),
    # law-e18967f9e14b: the first sentence cites a number; it is not the notice's own.
    ("国务院关于国家行政机关和企业事业单位社会团体印章管理的规定",
     "1993年国务院印发的《国务院关于国家行政机关和企业事业单位印章的规定》(国发〔1993〕21号)，"
     "对于规范和加强国家行政机关和企业事业单位、社会团体印章的管理工作，起到了重要的作用。", None),
    # law-486f9e003416: a reply cites the request's number near the top.
    ("最高人民法院关于新民间借贷司法解释适用范围问题的批复",
     "第1815次会议通过，自2021年1月1日起施行）\n广东省高级人民法院：\n"
     "你院《关于新民间借贷司法解释有关法律适用问题的请示》（粤高法〔2020〕108号）收悉。", None),
    # A number alone on a line, but deep in the body: an appendix, not the header.
    ("通知", "正文。" * 100 + "\n国办发〔2017〕47号\n", None),
    # The title ends with the notice's own number in brackets.
    ("关于印发方案的通知（大政发〔2024〕3号）", "正文", "大政发〔2024〕3号"),
    # The title ends with the number of a document it cites.
    ("国务院关于废止《国务院关于某事的通知》（国发〔1990〕1号）", "正文", None),
])
def test_own_number(title, body, expected) -> None:
    assert docnum.own_number(title, body) == expected


def test_cited_numbers_of_a_real_interpretation() -> None:
    # law-9737fb452df1: its own number under the header, and the one it repeals.
    title = "最高人民法院关于审理垄断民事纠纷案件适用法律若干问题的解释"
    body = ("最高人民法院关于审理垄断民事纠纷案件适用法律 若干问题的解释\n法释〔2024〕6号\n"
            "为维护市场公平竞争秩序，……《最高人民法院关于审理因垄断行为引发的民事纠纷案件应用法律"
            "若干问题的规定》（法释〔2012〕5号）同时废止。法释〔2012〕5号")
    own = docnum.own_number(title, body)
    assert own == "法释〔2024〕6号"
    assert docnum.cited_numbers(title, body, own) == ["法释〔2012〕5号"]
    assert docnum.cited_numbers(title, body, None) == ["法释〔2024〕6号", "法释〔2012〕5号"]


def test_cited_titles_of_a_real_notice() -> None:
    # law-000a5e4362e6, two sentences, the second repeating a title.
    body = ("根据《全国年节及纪念日放假办法》（国务院令第513号）的规定，全体公民的节日假期由原来的"
            "10天增设为11天。据此，职工全年月平均制度工作天数和工资折算办法分别调整如下：……"
            "按照《劳动法》第五十一条的规定，……《全国年节及纪念日放假办法》")
    assert docnum.cited_titles(body) == ["全国年节及纪念日放假办法", "劳动法"]


def test_cited_titles_skip_what_is_not_a_title() -> None:
    body = ("《 中华人民共和国公司法 》《》《\u3000》《第一行\n第二行》《" + "长" * 81 + "》"
            "《" + "长" * 80 + "》")
    assert docnum.cited_titles(body) == ["中华人民共和国公司法", "长" * 80]


@pytest.mark.parametrize("title,key", [
    ("《中华人民共和国公司法（2018年修正）》", "中华人民共和国公司法"),  # brackets, version note
    ("中华人民共和国 公司法 (2019修订)", "中华人民共和国公司法"),      # spaces, ASCII note
    ("最高人民法院关于审理行政赔偿案件若干问题的规定（二）",            # a part is not a version
     "最高人民法院关于审理行政赔偿案件若干问题的规定(二)"),
    ("全国年节及纪念日放假办法（试行）", "全国年节及纪念日放假办法(试行)"),
    ("《ＡＢＣ條例》", "abc条例"),                                      # width, case, traditional
])
def test_title_key(title, key) -> None:
    assert docnum.title_key(title) == key


@pytest.mark.corpus
def test_own_numbers_over_the_corpus(corpus_dir: Path) -> None:
    """Every own number found in the corpus is a court or procuratorate interpretation's."""
    owns = {}
    with open(corpus_dir / "notices.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            own = docnum.own_number(record["title"], record["body"])
            if own:
                owns[record["id"]] = own
    assert len(owns) == 40
    assert all(n.startswith(("法释〔", "高检发释字〔")) for n in owns.values())
    assert owns["law-cd78dab3ff69"] == "高检发释字〔2025〕1号"
