"""A notice page in HTML, read with the standard library's html.parser only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from search_service.errors import SourceError
from search_service.notice import Notice
from search_service.sources.scrape import INDENT, notice_fields, split_metadata

# Elements whose text is never notice text.
_SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "aside",
         "form", "select", "button", "iframe", "object", "svg"}
# Elements that end a paragraph in the content block.
_BREAKS = {"p", "br", "div", "li", "ul", "ol", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
           "table", "section", "blockquote", "pre", "hr", "dd", "dt", "center"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}
# Content blocks used by the page template and by common government CMSs (TRS, zoom ...).
_CONTENT_CLASSES = {"content", "trs_editor", "article-content", "article_content",
                    "pages_content", "zw", "article-body"}
_CONTENT_IDS = {"zoom", "content", "ucap-content", "article-content", "zoomcon"}
_META_CLASSES = {"meta", "info", "article-meta", "article-info", "pages-date"}
_HTML_SPACE = " \t\n\r\f"


def _role(tag: str, attrs: dict[str, str]) -> str | None:
    """Return what an element is to the parser: skip, content, article, meta, h1, title."""
    if tag in _SKIP:
        return "skip"
    classes = {c.lower() for c in attrs.get("class", "").split()}
    ident = attrs.get("id", "").strip().lower()
    if tag in ("div", "section", "td") and (classes & _CONTENT_CLASSES or ident in _CONTENT_IDS):
        return "content"
    if tag == "article":
        return "article"
    if tag in ("div", "p", "section") and classes & _META_CLASSES:
        return "meta"
    if tag in ("h1", "title"):
        return tag
    return None


class _PageParser(HTMLParser):
    """Collects title, metadata, head tags and content paragraphs of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.active: dict[str, int] = {}
        self.texts: dict[str, list[str]] = {"h1": [], "title": [], "meta": []}
        self.done: set[str] = set()
        self.paragraphs: dict[str, list[str]] = {"content": [], "article": []}
        self.current: dict[str, list[str]] = {"content": [], "article": []}
        self.head: dict[str, str] = {}
        self.canonical: str | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k.lower(): (v or "") for k, v in attrs_list}
        if tag == "meta" and attrs.get("name", attrs.get("property")):
            self.head.setdefault(attrs.get("name", attrs.get("property", "")).lower(),
                                 attrs.get("content", ""))
        elif tag == "link" and "canonical" in attrs.get("rel", "").lower().split():
            self.canonical = self.canonical or attrs.get("href") or None
        if tag in _BREAKS:
            self._flush()
        if "meta" in self.active and self.active["meta"]:
            self.texts["meta"].append(" ")  # spans are separate fields even when adjacent
        if tag in _VOID:
            return
        role = _role(tag, attrs)
        # Only the first block of a kind counts, and blocks nested in it are plain elements.
        if role in self.done or (role and self.active.get(role)):
            role = None
        self.stack.append((tag, role))
        if role:
            self.active[role] = self.active.get(role, 0) + 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self._flush()
        if "meta" in self.active and self.active["meta"]:
            self.texts["meta"].append(" ")
        if tag in _VOID or all(open_tag != tag for open_tag, _ in self.stack):
            return
        # Close everything opened since (unclosed <p>, <li> ...).
        while self.stack:
            open_tag, role = self.stack.pop()
            if role:
                self.active[role] -= 1
                if role != "skip":
                    self.done.add(role)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.active.get("skip"):
            return
        for role in ("h1", "title", "meta"):
            if self.active.get(role):
                self.texts[role].append(data)
        # A content block that wraps the whole page must not repeat the title and metadata.
        if self.active.get("h1") or self.active.get("meta"):
            return
        for role in ("content", "article"):
            if self.active.get(role):
                self.current[role].append(data)

    def _flush(self) -> None:
        for role in ("content", "article"):
            text = "".join(self.current[role])
            self.current[role] = []
            # Source line breaks inside a paragraph are HTML whitespace, shown as a space.
            text = re.sub(r"[ \t\f]*(?:\r\n|\r|\n)[ \t\r\n\f]*", " ", text)
            text = text.lstrip(_HTML_SPACE + INDENT).rstrip(_HTML_SPACE)
            if text.strip(_HTML_SPACE + INDENT):
                self.paragraphs[role].append(text)

    def close(self) -> None:
        super().close()
        self._flush()


def _clean(text: str | None) -> str | None:
    """Return text with whitespace runs (NBSP, U+3000 included) as one space, or None."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def parse_html(text: str, notice_id: str) -> Notice:
    """Return the notice in an HTML page; raise SourceError when it has no usable title."""
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    head = parser.head
    title = (_clean("".join(parser.texts["h1"])) or _clean(head.get("articletitle"))
             or _clean("".join(parser.texts["title"])))
    if not title:
        raise SourceError("no title (no <h1>, ArticleTitle meta tag or <title>)")
    fields = split_metadata(_clean("".join(parser.texts["meta"])) or "", anywhere=True) or {}
    # The visible metadata block wins; the meta tags fill what it lacks.
    for key, name in (("date", "pubdate"), ("author", "author"),
                      ("department", "contentsource")):
        if not fields.get(key):
            fields[key] = _clean(head.get(name))
    kwargs = notice_fields(fields)
    url = _clean(parser.canonical) or _clean(head.get("url")) or _clean(head.get("og:url"))
    paragraphs = parser.paragraphs["content"] or parser.paragraphs["article"]
    return Notice(id=notice_id, title=title, url=url, body="\n".join(paragraphs), **kwargs)
