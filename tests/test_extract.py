"""What indexing extracts from one notice: people named, versions and repeals, sketches.

Sentences are quoted from the shared corpus (ids in the comments) or from the sample.
"""

from __future__ import annotations

import pytest

from search_service import neardup, versions
from search_service.persons import PersonExtractor
from search_service.settings import REPO_INDEX


@pytest.fixture(scope="module")
def persons() -> PersonExtractor:
    return PersonExtractor.from_dir(REPO_INDEX)


def test_the_sample_notice_names_its_officials(persons, small_records) -> None:
    seed = small_records["seed-changxingdao-2024-08-20"]
    assert persons.extract(seed["title"], seed["body"]) == \
        ["郝鹏", "赵凤民", "赵东", "陈建军", "吴峻峰"]


def test_a_press_conference_names_its_spokesperson_and_others(persons, small_records) -> None:
    record = small_records["mfa-312430"]
    assert persons.extract(record["title"], record["body"]) == \
        ["章启月", "胡锦涛", "李显龙", "周小川", "曹刚川", "金镒哲", "杨凤瑞"]


@pytest.mark.parametrize("text,expected", [
    ("国务院总理李克强", ["李克强"]),                          # report-* opening lines
    ("外交部发言人耿爽主持例行记者会", ["耿爽"]),
    ("外交部部长助理刘结一将于7月1", ["刘结一"]),              # mfa: a given name jieba splits
    ("尼泊尔总理普拉昌达、阿富汗", ["普拉昌达"]),              # a transliterated name in pieces
    ("巴基斯坦外交部长沙阿·马哈茂德·库雷希共同主持对话", ["沙阿·马哈茂德·库雷希"]),
    ("市委书记张国清同志", ["张国清"]),
    ("核供应国集团(NSG)主席阿根廷大使召集了个非正式会议", []),  # a country before 大使
    ("严格执行中央八项规定精神，坚持从严治党", []),            # jieba tags both nr
])
def test_names_need_a_role_beside_them(persons, text, expected) -> None:
    assert persons.extract(text, "") == expected


def test_the_staff_lists_take_effect(tmp_path) -> None:
    (tmp_path / "persons.txt").write_text("# 人名\n韩雨\n", encoding="utf-8")
    (tmp_path / "not_persons.txt").write_text("赵东\n", encoding="utf-8")
    extractor = PersonExtractor.from_dir(tmp_path)
    text = "组长赵凤民分别向区党工委书记赵东反馈。撰稿：韩雨"
    assert extractor.extract("", text) == ["赵凤民", "韩雨"]


def test_version_keys_group_normative_titles_only() -> None:
    assert versions.version_key("中华人民共和国检察官法（2019年修订）") == "中华人民共和国检察官法"
    assert versions.version_key("《上海市住宅物业管理规定》") == "上海市住宅物业管理规定"
    assert versions.version_key("4月7日外交部发言人赵立坚主持例行记者会") is None
    assert versions.title_key("国务院办公厅关于进一步激发社会领域投资活力的意见") == \
        "国务院办公厅关于进一步激发社会领域投资活力的意见"


def test_repeals_in_real_closing_articles() -> None:
    # law-974d31118b6b and law-21191c3ce30b, as published.
    assert versions.repeals(
        "本条例自2019年3月1日起施行。2008年12月25日上海市第十三届人民代表大会常务委员会"
        "第八次会议通过的《上海市房地产登记条例》同时废止。") == ["上海市房地产登记条例"]
    assert versions.repeals(
        "第十二次会议通过、1998年6月24日上海市第十一届人民代表大会常务委员会第三次会议修正的"
        "《上海市产品质量监督条例》同时废止。") == ["上海市产品质量监督条例"]
    # Questions repeal nothing (mfa-313300, mfa-1649175).
    assert versions.repeals("问：中方是否已就延长或废止《北京奥运会及其筹备期间外国记者在华采访规定》"
                            "做出决定？") == []
    assert versions.repeals("决定：废止《某市甲条例》、《某市乙办法》。") == ["某市甲条例", "某市乙办法"]
    assert versions.repeals("俄罗斯总统普京昨天签署命令宣布暂停履行《中导条约》，直到美方停止违反"
                            "条约或条约废止。") == []


def test_a_repost_is_near_and_another_law_is_not(small_records) -> None:
    law = small_records["law-001cd9d0c498"]["body"]
    other = small_records["law-00313cf0f5a8"]["body"]
    repost = law.replace("，", ",").replace("\n", "\n\n") + "\n（来源：山东省人大常委会）"
    a, b, c = (neardup.sketch(t) for t in (law, repost, other))
    assert len(a) == neardup.K and neardup.similarity(a, a) == 1.0
    assert neardup.similarity(a, b) >= neardup.SIMILAR
    assert neardup.similarity(a, c) < 0.2
    assert neardup.decode(neardup.encode(a)) == a
    assert neardup.group_numbers({1: a, 2: b, 3: c}) == [[1, 2]]


def test_short_bodies_get_no_sketch() -> None:
    assert neardup.sketch("外交部发言人就有关问题答记者问。") is None
