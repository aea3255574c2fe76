"""HTML pages: the main content as Markdown-ish text, with navigation, banners and scripts dropped."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.encoding import decode_text
from octag.etl.extract.sources import Source
from octag.etl.extract.streams import read_whole
from octag.etl.extract.text import file_title

_DROPPED_TAGS = (
    "script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, "
    "[hidden], [aria-hidden=true]"
)
_BOILERPLATE_ROLES = {
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
}
_BOILERPLATE_WORDS = ("nav", "menu", "footer", "sidebar", "cookie", "breadcrumb", "consent", "banner")
_KEPT_TAGS = {"html", "body", "main", "article"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {
    "address", "blockquote", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "li", "ol", "p", "section", "summary", "table", "tbody", "thead", "tfoot", "ul",
}  # fmt: skip
_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def extract_html(source: Source, stream: io.BufferedReader) -> Iterator[SourceDocument | RecordError]:
    data = read_whole(stream)
    declared = _CHARSET.search(data[:4096])
    tree = LexborHTMLParser(decode_text(data, declared.group(1).decode("ascii") if declared else None))
    title = _title(tree)
    for node in tree.css(_DROPPED_TAGS):
        node.decompose()
    root = (
        tree.css_first("main") or _single(tree.css("article")) or tree.css_first("[role=main]") or tree.body
    )
    if root is None:
        yield RecordError(source.uri, "file", "no HTML body")
        return
    for node in root.css("[role], [class], [id]"):
        if node.tag not in _KEPT_TAGS and _is_boilerplate(node) and not node.css_first("main, article"):
            node.decompose()
    blocks = _Blocks()
    blocks.walk(root)
    text = blocks.text()
    if not text:
        yield RecordError(source.uri, "file", "no text in the HTML page")
        return
    yield SourceDocument(
        source_id=source.relative,
        source_uri=source.uri,
        text=text,
        format="html",
        metadata={"format": "html"},
        title=title or file_title(source),
    )


def _title(tree: LexborHTMLParser) -> str | None:
    for selector in ("title", "h1"):
        node = tree.css_first(selector)
        if node is not None and (text := _collapse(node.text())):
            return text
    return None


def _single(nodes: list[LexborNode]) -> LexborNode | None:
    return nodes[0] if len(nodes) == 1 else None  # several articles: a listing, keep the page


def _is_boilerplate(node: LexborNode) -> bool:
    if (node.attributes.get("role") or "").lower() in _BOILERPLATE_ROLES:
        return True
    names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()
    # Word starts and ends: "navbar", "site-footer", "mainnav" but not "unavailable".
    return any(
        word.startswith(marker) or word.endswith(marker)
        for word in re.split(r"[^a-z0-9]+", names)
        for marker in _BOILERPLATE_WORDS
    )


class _Blocks:
    """Headings as `#` lines; paragraphs, list items and table rows as separate paragraphs."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self._inline: list[str] = []

    def walk(self, node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if child.is_text_node:
                self._inline.append(child.text_content or "")
            elif tag in _HEADINGS:
                self._flush()
                if heading := _collapse(child.text()):
                    self.done.append(f"{'#' * _HEADINGS[tag]} {heading}")
            elif tag == "pre":
                self._flush()
                self._add(child.text().strip("\n"))
            elif tag == "tr":
                self._flush()
                cells = [_collapse(cell.text()) for cell in child.css("th, td")]
                self._add(" | ".join(cells) if any(cells) else "")
            elif tag == "br":
                self._inline.append("\n")
            elif tag in _BLOCKS:
                self._flush()
                self.walk(child)
                self._flush()
            elif child.is_element_node:
                self.walk(child)

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self.done)

    def _flush(self) -> None:
        lines = (_collapse(line) for line in "".join(self._inline).split("\n"))
        self._add("\n".join(line for line in lines if line))
        self._inline = []

    def _add(self, block: str) -> None:
        if block.strip():
            self.done.append(block)


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
