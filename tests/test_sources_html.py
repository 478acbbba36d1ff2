"""The HTML notice page format (.html, .htm)."""

from __future__ import annotations

import pytest

from search_service.errors import SourceError
from search_service.sources.html import parse_html

META_PAGE = """<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<META NAME="ArticleTitle" CONTENT="关于做好防汛工作的通知">
<meta name="PubDate" content="2024年8月20日 10:30">
<meta name="ContentSource" content="应急管理局">
<meta name="Author" content="张三">
<meta name="Url" content="https://example.gov.cn/art/2024/8/20/1.html">
<title>关于做好防汛工作的通知_应急管理局</title>
<style>p { color: red; }</style>
<script>var title = "不是正文";</script>
</head>
<body>
<nav><a href="/">首页</a> &gt; 通知公告</nav>
<div id="zoom">
<p>&nbsp;&nbsp;各单位：</p>
<p>　　为做好汛期工作，现将有关事项通知如下。</p>
<p><span>一、</span>加强值班值守 &amp; 信息报送。</p>
<p>&nbsp;</p>
<script>document.write("广告");</script>
<p>特此通知。<br>应急管理局<br/>2024年8月20日</p>
</div>
<footer>版权所有 &copy; 应急管理局</footer>
</body></html>
"""

BLOCK_PAGE = """<html><head>
<title>标签标题</title>
<link rel="canonical" href="https://example.gov.cn/a.html">
<meta name="Url" content="https://example.gov.cn/other.html">
<meta name="PubDate" content="2020-01-01">
</head><body>
<div class="site-header">政府信息公开</div>
<h1>关于&lt;条例&gt;的说明</h1>
<div class="meta"><span class="time">时间：2024-08-20</span><span class="author">作者:</span>\
<span class="source">来源：党群工作部</span> <span class="hits">点击:12</span></div>
<div class="content">
<p>第一段&ldquo;引号&rdquo;。</p>
<p>第二段 A&amp;B。</p>
</div>
</body></html>
"""


def test_meta_tag_form() -> None:
    notice = parse_html(META_PAGE, "n1")
    assert notice.id == "n1"
    assert notice.title == "关于做好防汛工作的通知"
    assert notice.date == "2024-08-20"
    assert notice.department == "应急管理局"
    assert notice.author == "张三"
    assert notice.url == "https://example.gov.cn/art/2024/8/20/1.html"
    assert notice.body == (
        "各单位：\n为做好汛期工作，现将有关事项通知如下。\n一、加强值班值守 & 信息报送。\n"
        "特此通知。\n应急管理局\n2024年8月20日"
    )


def test_script_style_nav_footer_dropped() -> None:
    body = parse_html(META_PAGE, "n1").body
    for chrome in ("不是正文", "广告", "color", "首页", "版权所有"):
        assert chrome not in body


def test_metadata_block_and_entities() -> None:
    notice = parse_html(BLOCK_PAGE, "n2")
    assert notice.title == "关于<条例>的说明"
    # The visible block wins over the PubDate meta tag.
    assert notice.date == "2024-08-20"
    assert notice.author is None
    assert notice.department == "党群工作部"
    assert notice.extra == {"clicks": 12}
    assert notice.body == "第一段\u201c引号\u201d。\n第二段 A&B。"


def test_canonical_link_wins_over_url_meta() -> None:
    assert parse_html(BLOCK_PAGE, "n2").url == "https://example.gov.cn/a.html"


def test_title_falls_back_to_title_tag() -> None:
    page = "<html><head><title>只有标题</title></head><body><article><p>正文</p></article></body>"
    notice = parse_html(page, "n3")
    assert notice.title == "只有标题"
    assert notice.body == "正文"
    assert (notice.date, notice.department, notice.author, notice.url) == (None, None, None, None)


def test_no_title_rejected() -> None:
    with pytest.raises(SourceError, match="no title"):
        parse_html("<html><body><div class='content'><p>正文</p></div></body></html>", "n4")


def test_bad_pubdate_rejected() -> None:
    page = '<h1>标题</h1><meta name="pubdate" content="上周五">'
    with pytest.raises(SourceError, match="unrecognised date '上周五'"):
        parse_html(page, "n5")
