# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Just enough HTTP/1.1 for pywinrm: POST with Content-Length, keep-alive, a few status codes.

A hand-rolled reader on asyncio streams keeps one event loop able to serve every lab port at a
small CPU cost; NTLM needs keep-alive anyway, because its security context lives on the TCP
connection.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Optional, Sequence, Tuple

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           411: "Length Required", 500: "Internal Server Error"}
MAX_HEADER_BYTES = 64 * 1024


class HttpError(Exception):
    """A request that cannot be read as HTTP; the connection is answered ``status`` and closed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict = field(default_factory=dict)   # lower-case names
    body: bytes = b""

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


def _parse_head(head: bytes) -> HttpRequest:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, f"not an HTTP/1.x request line: {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, separator, value = line.partition(":")
        if separator:
            headers[name.strip().lower()] = value.strip()
    return HttpRequest(parts[0], parts[1], headers)


async def read_request(reader: asyncio.StreamReader) -> Optional[HttpRequest]:
    """The next request on a connection, or None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise HttpError(400, "request header too large") from None
    request = _parse_head(head[:-4])
    if "chunked" in request.headers.get("transfer-encoding", "").lower():
        raise HttpError(411, "chunked request bodies are not supported: send Content-Length")
    try:
        length = int(request.headers.get("content-length", "0"))
    except ValueError:
        raise HttpError(400, "Content-Length is not a number") from None
    request.body = await reader.readexactly(length) if length > 0 else b""
    return request


def response(status: int, body: bytes = b"", content_type: Optional[str] = None,
             headers: Sequence[Tuple[str, str]] = ()) -> bytes:
    """A complete HTTP/1.1 response (keep-alive) as bytes."""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}", "Server: Microsoft-HTTPAPI/2.0",
             f"Content-Length: {len(body)}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
