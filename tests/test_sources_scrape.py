"""The page-scrape text format (.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_service.errors import SourceError
from search_service.sources.scrape import parse_scrape

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE = SAMPLES / "raw" / "seed-changxingdao-2024-08-20.txt"
TITLE = "省委第九巡视组向长兴岛经济技术开发区党工委反馈巡视情况"
NBSP = "\u00a0"


def page(meta: str, body: str = "  第一段。\n\n  第二段。", title: str = "关于检查的通知") -> str:
    """Return a scrape page with the given metadata line, in the sample's layout."""
    chrome = f"字号: {NBSP} {NBSP} {NBSP} {NBSP}  {NBSP} 打印本页"
    return f"政府信息公开\n{title}\n{meta}\n{chrome}\n\n{body}"


def test_original_sample() -> None:
    notice = parse_scrape(SAMPLE.read_text(encoding="utf-8"), "seed-changxingdao-2024-08-20")
    assert notice.id == "seed-changxingdao-2024-08-20"
    assert notice.title == TITLE
    assert notice.date == "2024-08-20"
    assert notice.author == "韩雨"
    assert notice.department == "党群工作部"
    assert notice.url is None
    assert "clicks" not in notice.extra
    assert notice.body.startswith("根据省委部署")
    assert "字号" not in notice.body
    assert "打印本页" not in notice.body
    assert "\n\n" not in notice.body
    assert all(not p.startswith(" ") for p in notice.body.split("\n"))


def test_ascii_space_separators() -> None:
    notice = parse_scrape(page("时间:2024-08-20   作者:韩雨   来源:党群工作部   点击:"), "x")
    assert (notice.date, notice.author, notice.department) == ("2024-08-20", "韩雨", "党群工作部")
    assert notice.body == "第一段。\n第二段。"


def test_full_width_spaces_and_colons() -> None:
    meta = "时间：2024年8月20日\u3000\u3000作者：韩雨\u3000来源：党群工作部\u3000点击："
    notice = parse_scrape(page(meta), "x")
    assert (notice.date, notice.author, notice.department) == ("2024-08-20", "韩雨", "党群工作部")


def test_fields_in_another_order_and_missing() -> None:
    notice = parse_scrape(page("来源:党群工作部 时间:2024-08-20"), "x")
    assert (notice.date, notice.author, notice.department) == ("2024-08-20", None, "党群工作部")


def test_empty_author_is_none() -> None:
    meta = f"时间:2024-08-20{NBSP}{NBSP} 作者:{NBSP}{NBSP} 来源:党群工作部"
    notice = parse_scrape(page(meta), "x")
    assert notice.author is None
    assert notice.department == "党群工作部"


def test_crlf_and_bom() -> None:
    text = "\ufeff" + page("时间:2024-08-20 作者:韩雨 来源:党群工作部 点击:").replace("\n", "\r\n")
    notice = parse_scrape(text, "x")
    assert notice.title == "关于检查的通知"
    assert notice.body == "第一段。\n第二段。"
    assert "\r" not in notice.body


def test_clicks_kept() -> None:
    notice = parse_scrape(page("时间:2024-08-20 作者:韩雨 来源:党群工作部 点击:1234"), "x")
    assert notice.extra == {"clicks": 1234}


def test_missing_header_line() -> None:
    text = page("时间:2024-08-20 作者:韩雨 来源:党群工作部").removeprefix("政府信息公开\n")
    notice = parse_scrape(text, "x")
    assert notice.title == "关于检查的通知"
    assert notice.date == "2024-08-20"


def test_indentation_stripped_trailing_text_kept() -> None:
    body = "\u3000\u3000第一段 \n\n" + NBSP + NBSP + "第二段\u3000内有空格。"
    notice = parse_scrape(page("时间:2024-08-20", body=body), "x")
    assert notice.body == "第一段 \n第二段\u3000内有空格。"


def test_missing_title_rejected() -> None:
    text = "政府信息公开\n时间:2024-08-20 作者:韩雨 来源:党群工作部 点击:\n\n  正文。"
    with pytest.raises(SourceError, match="no title"):
        parse_scrape(text, "x")


def test_empty_file_rejected() -> None:
    with pytest.raises(SourceError):
        parse_scrape("政府信息公开\n\n", "x")


def test_bad_date_rejected() -> None:
    with pytest.raises(SourceError, match="unrecognised date '2024-02-30'"):
        parse_scrape(page("时间:2024-02-30 作者:韩雨"), "x")
