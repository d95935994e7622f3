# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twin of plugins/plugin_utils/scripts/windows_certificate_inventory.ps1 over a host's stores.

It emits what the script emits, property for property and type for type: StoreLocation and
StoreName as passed, Thumbprint, Certificate (base64 DER), HasPrivateKey, KeyProvider,
CngExportPolicy (int), CspExportable (bool) and KeyReaders (null: the inventory does not ask
for them). ``certificate_fact`` is the twin of include/certificate_facts.ps1 that other script
twins share. It fails where the script fails (parameter
validation, a store that does not exist) with the text Windows PowerShell 5.1 shows.

What the store model does not record, and how it is derived here:
- Key provider. PFX import through .NET Framework (which win_certificate_store uses) puts an RSA
  key without a provider attribute into a legacy CSP, and an EC key into CNG (no CSP handles EC).
  So RSA keys are reported as CSP with ``CspExportable``, EC keys as CNG with ``CngExportPolicy``
  AllowExport|AllowPlaintextExport (3) when exportable, else 0.
- Who runs the script. The lab's WinRM account is a local administrator (WinRM admits only
  Administrators by default), so it opens machine keys; a key in a user profile opens only for the
  accounts on its ACL. A key that does not open gives the script's warning and no key facts.
"""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec

from certops_lab.certstore import LOCATIONS, MACHINE_KEY_READERS, WELL_KNOWN_STORES
from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.twins.scripts import script_twin

SCRIPT = "windows_certificate_inventory"
DEFAULT_STORE_NAMES = ("My", "Root", "CA")
CNG_ALLOW_EXPORT = 0x1 | 0x2       # CngExportPolicies.AllowExport | AllowPlaintextExport
ADMINISTRATORS = MACHINE_KEY_READERS[1]


def _string_list(parameters: dict, name: str, default: tuple) -> list:
    """A [string[]] parameter as PowerShell binds it: a scalar becomes a one-element array."""
    value = parameters.get(name, list(default))
    values = value if isinstance(value, list) else [value]
    if not values or any(item is None or str(item) == "" for item in values):
        raise CmdletError(f"Cannot validate argument on parameter '{name}'. The argument is null, empty, or an element of the argument "
                          "collection contains a null value. Supply a collection that does not contain any null values and then try "
                          "the command again.")
    return [str(item) for item in values]


def _validated_locations(parameters: dict) -> list:
    locations = _string_list(parameters, "StoreLocation", ("LocalMachine",))
    for location in locations:
        if location.lower() not in (known.lower() for known in LOCATIONS):
            raise CmdletError(f"Cannot validate argument on parameter 'StoreLocation'. The argument \"{location}\" does not belong to the "
                              f"set \"{','.join(LOCATIONS)}\" specified by the ValidateSet attribute. Supply an argument that is in the "
                              "set and then try the command again.")
    return locations


def _existing_store_entries(host, location: str, name: str) -> list:
    """Entries of location\\name; OpenExistingOnly fails on a store Windows does not have."""
    wanted = f"{location}\\{name}".lower()
    for key, store in host.stores.items():
        if key.lower() == wanted:
            return list(store.entries.values())
    if name.lower() in (known.lower() for known in WELL_KNOWN_STORES):
        return []
    raise CmdletError('Exception calling "Open" with "1" argument(s): "The system cannot find the file specified.\r\n"')


def _key_opens(entry, account: str) -> bool:
    if entry.key_storage == "machine" and entry.key_readable_by(ADMINISTRATORS):
        return True
    return entry.key_readable_by(account)


def _key_readers(entry, warnings: list):
    """Get-CertopsKeyReader: the key file's readers; a user-profile key's file is not in the machine folders."""
    if entry.key_storage != "machine":
        warnings.append(f"the private key file of {entry.thumbprint} could not be read: Cannot find path because it does not exist.")
        return None
    return [str(reader) for reader in entry.key_readers]


def _key_facts(entry, account: str, warnings: list, readers: bool) -> dict:
    facts = {"KeyProvider": None, "CngExportPolicy": None, "CspExportable": None, "KeyReaders": None}
    if not entry.has_private_key:
        return facts
    if not _key_opens(entry, account):
        warnings.append(f"private key of {entry.thumbprint} could not be opened: Keyset does not exist")
        return facts
    if isinstance(entry.certificate.public_key(), ec.EllipticCurvePublicKey):
        facts.update(KeyProvider="CNG", CngExportPolicy=CNG_ALLOW_EXPORT if entry.exportable else 0)
    else:
        facts.update(KeyProvider="CSP", CspExportable=bool(entry.exportable))
    if readers:
        facts["KeyReaders"] = _key_readers(entry, warnings)
    return facts


def certificate_fact(entry, place: tuple, account: str, warnings: list, readers: bool = False) -> dict:
    """ConvertTo-CertopsCertificateFact (include/certificate_facts.ps1) for one store entry; place is (location, store name)."""
    location, name = place
    return {"StoreLocation": location, "StoreName": name, "Thumbprint": entry.thumbprint,
            "Certificate": base64.b64encode(entry.der).decode("ascii"), "HasPrivateKey": entry.has_private_key,
            **_key_facts(entry, account, warnings, readers)}


def caller(host, ctx) -> str:
    """The account a script runs as: the become user, else the WinRM user."""
    return ctx.become_user or host.user


@script_twin(SCRIPT)
def windows_certificate_inventory(estate, host, parameters: dict, ctx) -> ScriptOutcome:
    """Every certificate of the chosen stores; reads only, so check mode changes nothing either."""
    del estate  # the inventory is per host
    locations = _validated_locations(parameters)
    names = _string_list(parameters, "StoreName", DEFAULT_STORE_NAMES)
    thumbprint = str(parameters.get("Thumbprint") or "")
    account = caller(host, ctx)
    output, warnings = [], []
    for location in locations:
        for name in names:
            for entry in _existing_store_entries(host, location, name):
                # PowerShell's -ne compares strings case-insensitively.
                if not thumbprint or entry.thumbprint == thumbprint.upper():
                    output.append(certificate_fact(entry, (location, name), account, warnings))
    return ScriptOutcome(output=output, changed=False, warnings=warnings)
