# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twin of plugins/plugin_utils/scripts/windows_certificate_key_access.ps1 over a host's LocalMachine\\My.

The key file's ACL is the store entry's ``key_readers`` list (the same list the Workflow Manager
model checks before it lets a certificate sign). Output: StoreLocation, Thumbprint, KeyProvider,
KeyPath, Readers, property for property as the script emits them. The key path is derived as the
script derives it (CSP machine keys under RSA\\MachineKeys, CNG keys under Keys) with a stable
container name; a key kept in a user profile is not under either folder, so Get-Acl fails there
as it does on Windows.
"""
from __future__ import annotations

import hashlib
import re

from cryptography.hazmat.primitives.asymmetric import ec

from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.twins.scripts import script_twin

SCRIPT = "windows_certificate_key_access"
PROGRAM_DATA = "C:\\ProgramData"
THUMBPRINT_PATTERN = "^[0-9A-F]{40}$"


def _validate(parameters: dict) -> tuple:
    location = parameters.get("StoreLocation", "LocalMachine")
    if str(location).lower() != "localmachine":
        raise CmdletError(f"Cannot validate argument on parameter 'StoreLocation'. The argument \"{location}\" does not belong to the set "
                          "\"LocalMachine\" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the "
                          "command again.")
    thumbprint = str(parameters.get("Thumbprint") or "")
    if not re.fullmatch(THUMBPRINT_PATTERN, thumbprint, re.IGNORECASE):
        raise CmdletError(f"Cannot validate argument on parameter 'Thumbprint'. The argument \"{thumbprint}\" does not match the "
                          f"\"{THUMBPRINT_PATTERN}\" pattern. Supply an argument that matches \"{THUMBPRINT_PATTERN}\" and try the command again.")
    accounts = parameters.get("Account") or []
    return "LocalMachine", thumbprint.upper(), accounts if isinstance(accounts, list) else [accounts]


def _entry(host, thumbprint: str):
    entry = host.store("LocalMachine", "My").get(thumbprint)
    if entry is None:
        raise CmdletError(f"The certificate with thumbprint '{thumbprint}' was not found in Cert:\\LocalMachine\\My.")
    if not entry.has_private_key:
        raise CmdletError(f"The certificate with thumbprint '{thumbprint}' in Cert:\\LocalMachine\\My has no private key.")
    return entry


def _key_file(entry) -> tuple:
    """(provider, path) as the script derives them; the container name is stable per certificate."""
    container = hashlib.sha256(entry.thumbprint.encode("ascii")).hexdigest()[:32]
    if isinstance(entry.certificate.public_key(), ec.EllipticCurvePublicKey):
        return "CNG", f"{PROGRAM_DATA}\\Microsoft\\Crypto\\Keys\\{container}"
    return "CSP", f"{PROGRAM_DATA}\\Microsoft\\Crypto\\RSA\\MachineKeys\\{container}"


@script_twin(SCRIPT)
def windows_certificate_key_access(estate, host, parameters: dict, ctx) -> ScriptOutcome:
    """Read the key's readers; with Account, grant each (unless in check mode) and read again."""
    del estate  # per host
    location, thumbprint, accounts = _validate(parameters)
    entry = _entry(host, thumbprint)
    provider, path = _key_file(entry)
    if entry.key_storage != "machine":
        raise CmdletError(f"Cannot find path '{path}' because it does not exist.")
    changed = bool(accounts) and not ctx.check_mode
    if changed:
        for account in accounts:
            entry.grant_key_read(str(account))
    output = {"StoreLocation": location, "Thumbprint": thumbprint, "KeyProvider": provider, "KeyPath": path,
              "Readers": [str(reader) for reader in entry.key_readers]}
    return ScriptOutcome(output=[output], changed=changed)
