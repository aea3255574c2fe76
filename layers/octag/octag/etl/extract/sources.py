"""What to extract: local files, directories, globs and S3 objects or prefixes, resolved to `Source`s."""

from __future__ import annotations

import glob
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import ClientError

from octag import aws

_BUFFER_BYTES = 1024 * 1024  # also the most a format can peek at before reading
_MISSING_OBJECT = {"404", "NoSuchKey", "NotFound"}
LIST_PAGE_SIZE = 1000  # keys per list_objects_v2 call (S3's maximum)


@dataclass(frozen=True)
class Source:
    """One file to extract. `relative` is the stable base of its document ids: the path relative to
    the directory or glob base it was found under (a file named alone: its name), or the S3 key
    (relative to the prefix when a prefix was given)."""

    uri: str  # absolute local path or s3://bucket/key
    relative: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.relative).name

    def open(self) -> io.BufferedReader:
        """A buffered binary stream; an S3 object is streamed, never downloaded whole."""
        if not self.uri.startswith("s3://"):
            return io.BufferedReader(io.FileIO(self.uri), buffer_size=_BUFFER_BYTES)
        bucket, key = _split_s3(self.uri)
        body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        return io.BufferedReader(_S3Body(body), buffer_size=_BUFFER_BYTES)


def resolve_sources(paths: Iterable[str]) -> list[Source]:
    """Expand paths, directories (recursively, hidden names skipped), globs and s3:// keys or prefixes.

    Raises FileNotFoundError naming the path when one matches nothing, ValueError for a bad s3:// URI.
    """
    found: dict[str, Source] = {}
    for path in [paths] if isinstance(paths, str) else paths:
        resolved = _s3_sources(path) if path.startswith("s3://") else _local_sources(path)
        for source in resolved:
            found.setdefault(source.uri, source)
    return list(found.values())


def _local_sources(path: str) -> list[Source]:
    expanded = os.path.expanduser(path)
    if glob.has_magic(expanded):
        base = _glob_base(expanded)
        matches = sorted(glob.glob(expanded, recursive=True))
        sources = [s for match in matches for s in _files_under(Path(match), base)]
        if not sources:
            raise FileNotFoundError(f"nothing matches {path}")
        return sources
    target = Path(expanded)
    if target.is_dir():
        sources = list(_files_under(target, target))
        if not sources:
            raise FileNotFoundError(f"no files in directory {path}")
        return sources
    if target.is_file():
        return [Source(os.path.abspath(target), target.name)]
    raise FileNotFoundError(f"no such file or directory: {path}")


def _glob_base(pattern: str) -> Path:
    """The directory part of a glob before its first wildcard: what its matches are relative to."""
    parts = Path(pattern).parts
    plain = parts[: next(i for i, part in enumerate(parts) if glob.has_magic(part))]
    return Path(*plain) if plain else Path(".")


def _files_under(target: Path, base: Path) -> Iterator[Source]:
    if target.is_file():
        yield Source(os.path.abspath(target), target.relative_to(base).as_posix())
        return
    for directory, dirnames, filenames in os.walk(target):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(f for f in filenames if not f.startswith(".")):
            file = Path(directory, filename)
            if file.is_file():
                yield Source(os.path.abspath(file), file.relative_to(base).as_posix())


def _s3_sources(uri: str) -> list[Source]:
    bucket, key = _split_s3(uri)
    s3 = aws.client("s3")
    if key and not key.endswith("/"):
        try:
            s3.head_object(Bucket=bucket, Key=key)
            return [Source(uri, key)]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _MISSING_OBJECT:
                raise
        key += "/"  # not an object: maybe a "folder"
    sources = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=key, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
        ):
            for item in page.get("Contents", []):
                name = item["Key"]
                if not name.endswith("/") and not PurePosixPath(name).name.startswith("."):
                    sources.append(Source(f"s3://{bucket}/{name}", name[len(key) :]))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            raise FileNotFoundError(f"no such bucket: {uri}") from None
        raise
    if not sources:
        raise FileNotFoundError(f"no objects at {uri}")
    return sources


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"not an s3://bucket/key URI: {uri}")
    return bucket, key


class _S3Body(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so that it can be buffered, peeked and read by line."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view):  # fill it: a short read would make `peek` see less than there is
            data = self._body.read(len(view) - filled)
            if not data:
                break
            view[filled : filled + len(data)] = data
            filled += len(data)
        return filled

    def close(self) -> None:
        self._body.close()
        super().close()
