# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twin of plugins/plugin_utils/scripts/windows_certificate_import.ps1 over a host's LocalMachine\\My.

The script stages one certificate with its private key: it imports the PFX given as base64 (a
SecureString parameter) when the store lacks the certificate or its key, with a persisted machine
key, exportable only when asked, then grants the given accounts read access to the key. It fails
where .NET fails: a wrong password, bytes that are not a PFX, a PFX holding another certificate,
no PFX for a certificate the store lacks. Its output is the certificate's facts with the key
readers (``certificate_fact``), or nothing in check mode when the certificate is not there yet.
"""
from __future__ import annotations

import base64
import binascii
import re

from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.products.windows import caller, certificate_fact
from certops_lab.certstore import thumbprint_of
from certops_lab.twins.certfiles import CertificateFileError, load_certificates, looks_like_pfx
from certops_lab.twins.scripts import script_twin

SCRIPT = "windows_certificate_import"
THUMBPRINT_PATTERN = "^[0-9A-F]{40}$"
BAD_BASE64 = ('Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string as it contains a '
              'non-base 64 character, more than two padding characters, or an illegal character among the padding characters."')


def _thumbprint(parameters: dict) -> str:
    thumbprint = str(parameters.get("Thumbprint") or "")
    if not re.fullmatch(THUMBPRINT_PATTERN, thumbprint, re.IGNORECASE):
        raise CmdletError(f"Cannot validate argument on parameter 'Thumbprint'. The argument \"{thumbprint}\" does not match the "
                          f"\"{THUMBPRINT_PATTERN}\" pattern. Supply an argument that matches \"{THUMBPRINT_PATTERN}\" and try the command again.")
    return thumbprint.upper()


def _pfx_leaf(parameters: dict, thumbprint: str) -> tuple:
    """(certificate, key) the X509Certificate2 constructor loads from the PFX: the one with a private key."""
    try:
        content = base64.b64decode(str(parameters.get("Pfx") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise CmdletError(BAD_BASE64) from None
    if not looks_like_pfx(content):
        raise CmdletError('Exception calling ".ctor" with "3" argument(s): "Cannot find the requested object."')
    try:
        entries = load_certificates(content, parameters.get("PfxPassword") or None)
    except CertificateFileError as error:
        raise CmdletError(f'Exception calling ".ctor" with "3" argument(s): "{error}"') from None
    certificate, key = next(((cert, key) for cert, key in entries if key is not None), entries[0])
    if thumbprint_of(certificate) != thumbprint:
        raise CmdletError(f"The PFX holds the certificate with thumbprint '{thumbprint_of(certificate)}', not '{thumbprint}'.")
    return certificate, key


def _accounts(parameters: dict) -> list:
    accounts = parameters.get("Account") or []
    return [str(account) for account in (accounts if isinstance(accounts, list) else [accounts])]


@script_twin(SCRIPT)
def windows_certificate_import(estate, host, parameters: dict, ctx) -> ScriptOutcome:
    """Import when missing (unless in check mode), grant the accounts, report the certificate's facts."""
    del estate  # per host
    thumbprint, store = _thumbprint(parameters), host.store("LocalMachine", "My")
    entry, changed = store.get(thumbprint), False
    if entry is None or not entry.has_private_key:
        if not parameters.get("Pfx"):
            raise CmdletError(f"The certificate with thumbprint '{thumbprint}' is not in Cert:\\LocalMachine\\My with its private key, "
                              "and no PFX was given.")
        certificate, key = _pfx_leaf(parameters, thumbprint)
        if not ctx.check_mode:
            entry = store.add(certificate, key, exportable=bool(parameters.get("Exportable")), key_storage="machine",
                              owner=caller(host, ctx))
            changed = True
    accounts = _accounts(parameters)
    if entry is not None and accounts and not ctx.check_mode:
        for account in accounts:
            entry.grant_key_read(account)
        changed = True
    warnings = []
    output = [certificate_fact(entry, ("LocalMachine", "My"), caller(host, ctx), warnings, readers=True)] if entry is not None else []
    return ScriptOutcome(output=output, changed=changed, warnings=warnings)
