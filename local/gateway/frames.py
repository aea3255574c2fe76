"""API Gateway's WebSocket limits, enforced per frame: 32 KB a frame, 128 KB a message.

aiohttp offers only a per-message limit (`max_msg_size`) and closes without a reason. So
`GatedWebSocketResponse` puts a `FrameGate` between the connection and aiohttp's frame parser: the
gate reads every frame header as bytes arrive, reports activity (for the idle timeout), and drops
an oversized data frame before aiohttp sees it, telling the observer to close with 1009 and a
reason. Control frames always pass, so the close handshake completes.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web
from aiohttp.http import WebSocketWriter
from aiohttp.web_request import BaseRequest

FRAME_LIMIT = 32 * 1024
MESSAGE_LIMIT = 128 * 1024
_CONTINUATION, _TEXT, _BINARY = 0x0, 0x1, 0x2


class FrameObserver(Protocol):
    def frame_received(self) -> None: ...

    def limit_exceeded(self, size: int, reason: str) -> None: ...


class FrameGate:
    """Wraps aiohttp's WebSocket reader (`feed_data`/`feed_eof`), frame by frame."""

    def __init__(self, parser: Any, observer: FrameObserver) -> None:
        self._parser = parser
        self._observer = observer
        self._header = bytearray()
        self._remaining = 0  # payload bytes of the current frame still to pass or drop
        self._passing = True
        self._message_size = 0
        self._rejected = False

    def feed_eof(self) -> None:
        self._parser.feed_eof()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        data = bytes(data)
        out = bytearray()
        pos = 0
        while pos < len(data):
            if self._remaining:
                take = min(self._remaining, len(data) - pos)
                if self._passing:
                    out += data[pos : pos + take]
                pos += take
                self._remaining -= take
                continue
            take = min(self._header_size() - len(self._header), len(data) - pos)
            self._header += data[pos : pos + take]
            pos += take
            if len(self._header) == self._header_size():
                self._passing = self._admit()
                if self._passing:
                    out += self._header
                self._header.clear()
        return self._parser.feed_data(bytes(out)) if out else (False, b"")

    def _header_size(self) -> int:
        if len(self._header) < 2:
            return 2
        length_flag = self._header[1] & 0x7F
        extended = 2 if length_flag == 126 else 8 if length_flag == 127 else 0
        return 2 + extended + (4 if self._header[1] & 0x80 else 0)

    def _admit(self) -> bool:
        """Read the complete header in `self._header`; True when the frame may pass."""
        opcode = self._header[0] & 0x0F
        length_flag = self._header[1] & 0x7F
        if length_flag < 126:
            self._remaining = length_flag
        else:
            self._remaining = int.from_bytes(self._header[2 : 4 if length_flag == 126 else 10], "big")
        self._observer.frame_received()
        if opcode not in (_CONTINUATION, _TEXT, _BINARY):
            return True
        if self._rejected:
            return False
        if self._remaining > FRAME_LIMIT:
            return self._reject(
                self._remaining, f"Frame size {self._remaining} exceeds the 32 KB frame limit"
            )
        self._message_size = self._remaining + (self._message_size if opcode == _CONTINUATION else 0)
        if self._message_size > MESSAGE_LIMIT:
            return self._reject(self._message_size, "Message size exceeds the 128 KB limit")
        return True

    def _reject(self, size: int, reason: str) -> bool:
        self._rejected = True
        self._observer.limit_exceeded(size, reason)
        return False


class GatedWebSocketResponse(web.WebSocketResponse):
    """A server-side WebSocket whose incoming frames pass through a `FrameGate`."""

    def __init__(self, observer: FrameObserver) -> None:
        # No permessage-deflate (API Gateway offers none); limits are the gate's, not aiohttp's.
        super().__init__(compress=False, max_msg_size=0, timeout=5.0)
        self._observer = observer

    def _post_start(self, request: BaseRequest, protocol: str | None, writer: WebSocketWriter) -> None:
        # aiohttp has no public per-frame hook: wrap the parser it has just installed, before the
        # first frame can arrive (prepare() yields to the loop only after this method).
        super()._post_start(request, protocol, writer)
        handler: Any = request.protocol
        handler._payload_parser = FrameGate(handler._payload_parser, self._observer)
