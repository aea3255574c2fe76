"""Text encodings: BOM, declared charset, UTF-8, else charset-normalizer's guess (Korean CP949 included)."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SUPERSETS = {"euc_kr": "cp949", "ascii": "utf-8"}  # EUC-KR files often hold CP949's extra syllables
_ASCII = bytes(range(128))


class UndecodableText(ValueError):
    """Bytes that are no text in any encoding that fits."""


def guess_encoding(data: bytes, declared: str | None = None) -> str | None:
    """The encoding `data` (a whole file or its start) is in, or None when nothing fits."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    for candidate in (declared, "utf-8"):
        if candidate and _decodes(data, candidate):
            return _canonical(candidate)
    if _mostly_utf8(data):
        return "utf-8"  # a few bad bytes in UTF-8 text: report them rather than read it as mojibake
    without_nul = b"\x00" not in data
    for match in from_bytes(data):
        # Short Korean samples can pass for UTF-16, which always has NULs in ASCII-heavy text.
        if not (without_nul and match.encoding.startswith(("utf_16", "utf_32"))):
            return _canonical(match.encoding)
    return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """A whole file as text; raises UndecodableText saying why not."""
    encoding = guess_encoding(data, declared)
    if encoding is None:
        raise UndecodableText("cannot detect the text encoding (binary file?)")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UndecodableText(f"undecodable bytes at byte {exc.start + 1} (read as {encoding})") from None
    if "\x00" in text:
        raise UndecodableText("binary content (NUL characters)")
    return text


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)  # a sample may end mid-character
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _canonical(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return _SUPERSETS.get(name, name)


def _mostly_utf8(data: bytes) -> bool:
    non_ascii = len(data.translate(None, _ASCII))
    invalid = data.decode("utf-8", "replace").count("\ufffd")
    return non_ascii > 0 and invalid * 4 <= non_ascii  # CP949 read as UTF-8 scores 0.6-0.8
