# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-core 2.16-2.18 module payloads: exec_wrapper source, four NULs, manifest JSON.

The manifest has no resolved module name: identity comes from the SHA-256 of ``module_entry``
(the module source) in a ``SourceIndex``, falling back to the invoked name.
"""
from __future__ import annotations

import base64
import binascii
import json

from certops_lab.contracts import ModuleCall
from certops_lab.decoding.errors import DecodeError, preview
from certops_lab.decoding.modargs import become_info, module_call
from certops_lab.decoding.sources import SourceIndex, resolve_invoked_name

NULS = b"\0\0\0\0"


def is_legacy_module_payload(stdin: bytes) -> bool:
    """PowerShell source (not a JSON line) up to the first four NULs."""
    head, separator, _rest = stdin.partition(NULS)
    return bool(separator) and bool(head.strip()) and not head.lstrip().startswith(b"{")


def _manifest(stdin: bytes) -> dict:
    body = stdin.partition(NULS)[2]
    try:
        manifest = json.loads(body)
    except ValueError as error:
        raise DecodeError(f"legacy payload: the JSON after the NULs does not parse ({error}): {preview(body)}") from error
    if not isinstance(manifest, dict) or "module_entry" not in manifest:
        keys = sorted(manifest) if isinstance(manifest, dict) else type(manifest).__name__
        raise DecodeError(f"unknown payload layout: legacy manifest without module_entry (keys: {keys})")
    return manifest


def _module_source(manifest: dict) -> bytes:
    try:
        return base64.b64decode(manifest["module_entry"], validate=True)
    except (binascii.Error, TypeError) as error:
        raise DecodeError(f"legacy payload: module_entry is not base64 ({error})") from error


def resolve_legacy_name(source: bytes, complex_args: dict, index: SourceIndex) -> str:
    indexed = index.lookup(source)
    if indexed:
        return indexed
    invoked = complex_args.get("_ansible_module_name") if isinstance(complex_args, dict) else None
    if not invoked:
        raise DecodeError("unknown module: its source is not in the collection index and the payload has no "
                          "_ansible_module_name")
    return resolve_invoked_name(invoked)


def _become(manifest: dict):
    if "become_wrapper" not in (manifest.get("actions") or []):
        return None
    return become_info(manifest.get("become_user"), manifest.get("become_flags"))


def decode_legacy_payload(stdin: bytes, index: SourceIndex) -> ModuleCall:
    manifest = _manifest(stdin)
    complex_args = manifest.get("module_args")
    name = resolve_legacy_name(_module_source(manifest), complex_args, index)
    return module_call(name, complex_args, "legacy", become=_become(manifest), async_jid=manifest.get("async_jid"))
