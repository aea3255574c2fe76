"""One document per file (Markdown, text, HTML): encodings, titles, boilerplate, unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract import extract, format_of


def _one(path: Path, **options: str) -> SourceDocument | RecordError:
    [item] = list(extract([str(path)], **options))
    return item


def test_markdown_keeps_its_structure_and_takes_the_first_heading_as_title(tmp_path: Path) -> None:
    text = "```bash\n# not a heading\n```\n\n## 예약 안내 ##\n\n- 2인 이상\n- 현장 결제\n\n### 환불\n\n하루 전까지.\n"
    path = tmp_path / "guide.md"
    path.write_text(text)
    doc = _one(path)
    assert doc == SourceDocument("guide.md", str(path), text, "md", {"format": "md"}, "예약 안내")


def test_text_is_decoded_from_cp949_and_titled_by_its_file_name(tmp_path: Path) -> None:
    text = "방탈출 카페 이용 수칙\n\n휴대폰은 사물함에 보관해 주세요. 소품을 부수지 마세요.\n"
    path = tmp_path / "rules.txt"
    path.write_bytes(text.encode("cp949"))
    assert _one(path) == SourceDocument("rules.txt", str(path), text, "txt", {"format": "txt"}, "rules")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b" \n\t\n", "no text (only whitespace)"),
        ("테마 설명: 공포 ".encode() + b"\xff" + " 추리 스릴러 감성".encode(), "undecodable bytes at byte 23 (read as utf-8)"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "cannot detect the text encoding (binary file?)"),
    ],
    ids=["empty", "whitespace", "bad-utf8-byte", "binary"],
)  # fmt: skip
def test_unreadable_text_is_an_error_for_its_file_only(tmp_path: Path, content: bytes, reason: str) -> None:
    bad, good = tmp_path / "a.txt", tmp_path / "b.md"
    bad.write_bytes(content)
    good.write_text("# 정상\n")
    items = list(extract([str(bad), str(good)]))
    assert items[0] == RecordError(str(bad), "file", reason)
    assert isinstance(items[1], SourceDocument) and items[1].title == "정상"


def test_format_comes_from_the_extension_unless_given(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    path.write_text("hello\n")
    assert _one(path) == RecordError(str(path), "file", "unknown format; pass --format")
    assert _one(path, format="txt") == SourceDocument(
        "server.log", str(path), "hello\n", "txt", {"format": "txt"}, "server"
    )
    assert [format_of(n) for n in ("A.JSONL", "b.ndjson", "c.markdown", "d.htm", "e.text", "rooms.json")] == [
        "jsonl", "jsonl", "md", "html", "txt", "json",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="unknown format 'docx'"):
        list(extract([str(path)], format="docx"))


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>  링 마스터 | 강남 방탈출  </title>
<style>body { color: red }</style><script>track("view")</script></head>
<body class="has-sidebar">
<header><a href="/">로고</a></header>
<nav><ul><li>홈</li><li>테마</li></ul></nav>
<div id="cookie-consent">쿠키를 허용하시겠습니까? <button>동의</button></div>
<div class="breadcrumbs">홈 &gt; 테마</div>
<main>
  <h1>링 <em>마스터</em></h1>
  <p>서커스를 배경으로 한 <b>공포</b> 테마입니다.<br>제한 시간은 70분.</p>
  <noscript>자바스크립트를 켜 주세요</noscript>
  <div class="mainNav">다른 테마 보기</div>
  <h2>정보</h2>
  <ul><li>인원: 2~4명</li><li>난이도: 어려움</li></ul>
  <table><tr><th>인원</th><th>가격</th></tr><tr><td>2명</td><td>25,000원</td></tr></table>
  <form><input name="q"><p>예약 검색</p></form>
  <iframe src="https://maps.example"></iframe>
  <svg><text>지도</text></svg>
  <p class="unavailable-note">평일에만 운영합니다.</p>
  <pre>
  코드   그대로
</pre>
</main>
<aside>인기 테마</aside>
<footer>© 2024 방탈출</footer>
</body></html>
"""


def test_html_keeps_the_main_content_as_markdown_and_drops_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "ring.html"
    path.write_text(PAGE)
    doc = _one(path)
    assert isinstance(doc, SourceDocument)
    assert (doc.source_id, doc.format, doc.metadata, doc.title) == (
        "ring.html", "html", {"format": "html"}, "링 마스터 | 강남 방탈출",
    )  # fmt: skip
    assert doc.text == (
        "# 링 마스터\n\n"
        "서커스를 배경으로 한 공포 테마입니다.\n제한 시간은 70분.\n\n"
        "## 정보\n\n"
        "인원: 2~4명\n\n"
        "난이도: 어려움\n\n"
        "인원 | 가격\n\n"
        "2명 | 25,000원\n\n"
        "평일에만 운영합니다.\n\n"
        "  코드   그대로"
    )


def test_html_without_main_drops_boilerplate_by_role_class_and_id(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        '<body class="with-sidebar"><div role="navigation">메뉴</div><div id="site-footer">회사 정보</div>'
        '<div class="side-menu">링크</div><div class="cookieBanner">쿠키</div>'
        "<div class=content><h1>공지</h1>본문 첫 줄<div>둘째 문단</div>꼬리</div></body>"
    )
    doc = _one(path)
    assert isinstance(doc, SourceDocument)
    assert (doc.title, doc.text) == ("공지", "# 공지\n\n본문 첫 줄\n\n둘째 문단\n\n꼬리")


def test_html_several_articles_keep_the_whole_body(tmp_path: Path) -> None:
    path = tmp_path / "list.html"
    path.write_text("<body><p>목록</p><article><h2>하나</h2></article><article><h2>둘</h2></article></body>")
    doc = _one(path)
    assert isinstance(doc, SourceDocument) and doc.text == "목록\n\n## 하나\n\n## 둘"


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="euc-kr">',
        '<meta http-equiv="Content-Type" content="text/html; charset=ks_c_5601-1987">',
        "",
    ],
)
def test_html_is_decoded_with_its_declared_or_detected_charset(tmp_path: Path, meta: str) -> None:
    path = tmp_path / "old.html"
    html = f"<html><head>{meta}<title>홍대 방탈출 똠방각하</title></head><body><p>추리 테마 안내입니다.</p></body></html>"
    path.write_bytes(html.encode("cp949"))
    doc = _one(path)
    assert isinstance(doc, SourceDocument)
    assert (doc.title, doc.text) == ("홍대 방탈출 똠방각하", "추리 테마 안내입니다.")


def test_html_without_text_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav>메뉴</nav><script>x()</script></body></html>")
    assert _one(path) == RecordError(str(path), "file", "no text in the HTML page")
