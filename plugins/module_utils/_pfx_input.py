# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: a new certificate's PFX given as a file on the controller or as base64 text.

AWX and Automation Platform credentials inject text, never files (extensions/awx/credential_types/). Each product
names its options ``<prefix>pfx_path``, ``<prefix>pfx_content`` and ``<prefix>pfx_password``; both ways are read
and checked on the controller before any change, and an unreadable one names the variable it came from.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import certificate_report, decode_text_input, read_certificate_file
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError


def pfx_given(params: dict, prefix: str = "") -> list:
    """The PFX options set, of ``<prefix>pfx_path`` and ``<prefix>pfx_content``."""
    return [f"{prefix}{name}" for name in ("pfx_path", "pfx_content") if str(params.get(f"{prefix}{name}") or "").strip()]


def pfx_source(params: dict, prefix: str = "") -> dict:
    """certificate_report's input: the base64 ``content`` when given, else the ``path``."""
    if params.get(f"{prefix}pfx_content"):
        return {"content": params[f"{prefix}pfx_content"]}
    return {"path": params[f"{prefix}pfx_path"]}


def pfx_report(params: dict, prefix: str = "", variables: str = "", now=None, **checks) -> dict:
    """certificate_report of the PFX; an error names the variable (``variables`` is the role's prefix, e.g. ``adfs_entra_``)."""
    source = pfx_source(params, prefix)
    try:
        return certificate_report({**source, "password": params.get(f"{prefix}pfx_password") or None, **checks}, now)
    except CertopsError as error:
        raise CertopsError(f"{variables}{prefix}pfx_{'content' if 'content' in source else 'path'}: {error}") from None


def pfx_bytes(params: dict, prefix: str = "") -> bytes:
    source = pfx_source(params, prefix)
    return decode_text_input(source["content"]) if "content" in source else read_certificate_file(source["path"])


def pfx_label(params: dict, prefix: str = "") -> str:
    """Where the PFX came from, for messages and the plan: its path, or ``(content)``."""
    return "(content)" if params.get(f"{prefix}pfx_content") else params.get(f"{prefix}pfx_path") or ""
