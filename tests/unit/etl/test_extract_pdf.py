"""PDFs: the text layer with page offsets; scanned, encrypted and corrupt files are errors."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract import extract

IMAGE_ONLY = b"q 200 0 0 200 72 500 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q"


def text_page(*lines: str) -> bytes:
    shown = b" T* ".join(b"(" + line.encode("ascii") + b") Tj" for line in lines)
    return b"BT /F1 12 Tf 14 TL 72 720 Td " + shown + b" ET"


def make_pdf(*pages: bytes, title: str | None = None) -> bytes:
    """A minimal PDF: Helvetica text pages and/or image-only pages (content streams)."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, content in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
            f" /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    info = b""
    if title:
        objects.append(b"<< /Title (%s) >>" % title.encode("ascii"))
        info = b" /Info %d 0 R" % len(objects)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return bytes(out)


def test_pdf_text_layer_becomes_one_document_with_page_offsets(tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(
        make_pdf(
            text_page("Escape Room Manual", "Keep your phone in the locker."),
            IMAGE_ONLY,
            text_page("Refunds until the day before."),
            title="Operations Manual",
        )
    )
    [doc] = list(extract([str(path)]))
    assert isinstance(doc, SourceDocument)
    assert (doc.source_id, doc.source_uri, doc.format, doc.title) == (
        "manual.pdf",
        str(path),
        "pdf",
        "Operations Manual",
    )
    offsets = doc.metadata["page_offsets"]
    assert doc.metadata == {"format": "pdf", "pages": 3, "page_offsets": offsets}
    assert [
        doc.text[start:end].strip() for start, end in zip(offsets, [*offsets[1:], None], strict=True)
    ] == [
        "Escape Room Manual\nKeep your phone in the locker.",
        "",
        "Refunds until the day before.",
    ]


def test_pdf_without_a_text_layer_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(IMAGE_ONLY, IMAGE_ONLY))
    assert list(extract([str(path)])) == [RecordError(str(path), "file", "no text layer (scanned PDF?)")]


def test_encrypted_and_corrupt_pdfs_are_errors_for_their_file_only(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(text_page("secret")))))
    writer.encrypt(user_password="open sesame", algorithm="AES-128")
    encrypted, corrupt, good = tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "c.pdf"
    with encrypted.open("wb") as out:
        writer.write(out)
    corrupt.write_bytes(b"%PDF-1.4\nthis is not a PDF body\n")
    good.write_bytes(make_pdf(text_page("fine")))
    items = list(extract([str(tmp_path)]))
    assert [(i.source_uri, i.location) for i in items if isinstance(i, RecordError)] == [
        (str(encrypted), "file"),
        (str(corrupt), "file"),
    ]
    assert items[0].reason == "cannot read PDF: encrypted, a password is needed"
    assert items[1].reason.startswith("cannot read PDF: ")
    assert isinstance(items[2], SourceDocument) and items[2].text == "fine"
