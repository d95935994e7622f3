# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which accounts still need read access to a private key, from the key file's ACL.

PRIVATE to the collection: the name and location may change without notice.

Windows writes an ACL entry's account as DOMAIN\\name (BUILTIN\\..., NT AUTHORITY\\..., or the
machine name for local accounts). An account given with its domain must match it whole; one
given without a domain matches that name in any domain, as Windows resolves a bare name.
Names compare case-insensitively, as Windows compares them.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError


def _bare(account: str) -> str:
    return account.rsplit("\\", 1)[-1].lower()


def has_read(account: str, readers: list) -> bool:
    """Whether ``account`` appears among the key's readers."""
    wanted = account.strip().lower()
    if "\\" in wanted:
        return any(str(reader).lower() == wanted for reader in readers)
    return any(_bare(str(reader)) == wanted for reader in readers)


def missing_readers(accounts: list, readers: list) -> list:
    """The accounts, in the order given and without repeats, that cannot read the key yet."""
    missing = []
    for account in accounts:
        if not has_read(account, readers) and account.lower() not in (item.lower() for item in missing):
            missing.append(account)
    return missing


def checked_accounts(accounts) -> list:
    """Account names, stripped; an empty one or one with a control character is refused."""
    cleaned = [str(account).strip() for account in accounts or []]
    if not cleaned:
        raise CertopsError("option accounts is empty: name the account(s) that must read the private key, e.g. CONTOSO\\svc-wfm")
    for account in cleaned:
        if not account or any(ord(char) < 32 for char in account):
            raise CertopsError(f"option accounts: {account!r} is not an account name; give DOMAIN\\name or name")
    return cleaned
