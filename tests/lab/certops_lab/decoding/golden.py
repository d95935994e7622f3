# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Golden files: recorded ExecRequests and their expected decode, one gzip JSON per ansible-core minor.

Module payloads repeat the same big scripts (Ansible.Basic.cs alone is ~140 KB of base64 in
every module exec), so stdin is stored as segments: literal text, or a reference to a shared
blob. A blob holds either text as sent, or the decoded text of a long base64 run (it compresses
far better) when re-encoding it gives back exactly the bytes that were sent.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re

from certops_lab.contracts import ExecRequest

FORMAT = 1
NULS = "\0\0\0\0"
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{1024,}={0,2}")
_LONG_HEAD = 1024


def _as_decoded_text(run: str):
    try:
        text = base64.b64decode(run, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return text if base64.b64encode(text.encode("utf-8")).decode() == run else None


def _blob_ref(blobs: dict, text: str, is_base64: bool) -> dict:
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
    blobs[key] = text
    return {"blob": key, "base64": is_base64}


def _segments_of(text: str, blobs: dict) -> list:
    segments, position = [], 0
    for match in _BASE64_RUN.finditer(text):
        decoded = _as_decoded_text(match.group(0))
        segments.append(text[position:match.start()])
        segments.append(_blob_ref(blobs, decoded if decoded is not None else match.group(0), decoded is not None))
        position = match.end()
    segments.append(text[position:])
    return [segment for segment in segments if segment != ""]


def pack_stdin(stdin: bytes, blobs: dict):
    """Segments for JSON (adding big pieces to ``blobs``), or ``{"raw_base64": ...}`` for non-UTF-8 input."""
    try:
        text = stdin.decode("utf-8")
    except UnicodeDecodeError:
        return {"raw_base64": base64.b64encode(stdin).decode()}
    head, separator, rest = text.partition(NULS) if NULS in text else ("", "", text)
    segments = [_blob_ref(blobs, head, False)] if len(head) >= _LONG_HEAD else ([head] if head else [])
    return segments + ([separator] if separator else []) + _segments_of(rest, blobs)


def _segment_text(segment, blobs: dict) -> str:
    if isinstance(segment, str):
        return segment
    text = blobs[segment["blob"]]
    return base64.b64encode(text.encode("utf-8")).decode() if segment["base64"] else text


def unpack_stdin(packed, blobs: dict) -> bytes:
    if isinstance(packed, dict):
        return base64.b64decode(packed["raw_base64"])
    return "".join(_segment_text(segment, blobs) for segment in packed).encode("utf-8")


def pack_request(request: ExecRequest, blobs: dict) -> dict:
    return {"host": request.host, "command": request.command, "arguments": request.arguments,
            "stdin": pack_stdin(request.stdin, blobs)}


def unpack_request(packed: dict, blobs: dict) -> ExecRequest:
    return ExecRequest(packed["host"], packed["command"], packed["arguments"], unpack_stdin(packed["stdin"], blobs))


def write_golden(path: str, document: dict) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as handle:
        json.dump(document, handle, sort_keys=True, separators=(",", ":"))


def read_golden(path: str) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        document = json.load(handle)
    if document.get("format") != FORMAT:
        raise ValueError(f"{path}: golden format {document.get('format')!r}, expected {FORMAT}; re-record with tools/record_payloads.py")
    return document


def golden_requests(document: dict, scenario: str) -> list:
    return [unpack_request(packed, document["blobs"]) for packed in document["scenarios"][scenario]["requests"]]
