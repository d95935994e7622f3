# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.sp_trusted_root_authority: Central Administration's Manage Trust, in PowerShell.

The seed's step "Security > Manage Trust > trust relationship for 00000005-... > Browse to the new
certificate" edits an SPTrustedRootAuthority. Replacing its certificate in place would stop
SharePoint trusting the old certificate while Workflow Manager still signs with it, so this module
adds a trust relationship for the new certificate beside the old one (New-SPTrustedRootAuthority)
and removes the old one only when asked (Remove-SPTrustedRootAuthority, cleanup).
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._sp_trust import certificate_facts, distinct_name
from ansible_collections.certops.microsoft.plugins.plugin_utils._trust_action import Change, TrustedObjectAction, single_output

NOUN = "trusted root authority"
# SharePoint's own root authority (its security token service certificate); never ours to remove.
BUILT_IN = "local"
ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["present", "absent", "query"], "default": "present"},
    "name": {"type": "str"},
    "certificate": {"type": "str"},
    "thumbprints_to_remove": {"type": "list", "elements": "str"},
    "protected_thumbprints": {"type": "list", "elements": "str", "default": []},
}
VALIDATION_RULES = {"required_if": [["state", "present", ["name", "certificate"]],
                                    ["state", "absent", ["certificate", "thumbprints_to_remove"], True]]}
FACT_KEYS = ("subject", "issuer", "not_after", "days_remaining", "expired", "self_signed")


def authority_entry(item: dict, now) -> dict:
    entry = {"name": item.get("Name"), "id": item.get("Id"), "thumbprint": str(item.get("CertificateThumbprint") or "").upper(),
             **dict.fromkeys(FACT_KEYS)}
    entry.update(certificate_facts(item.get("Certificate"), now))
    return entry


class ActionModule(TrustedObjectAction):
    """certops.microsoft.sp_trusted_root_authority"""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    VALIDATION_RULES = VALIDATION_RULES
    NOUN = NOUN
    LIST_KEY = "authorities"
    GET_SCRIPT = "sharepoint_trust_get"
    SET_SCRIPT = "sp_trusted_root_authority_set"
    THUMBPRINT_OUTPUT = "CertificateThumbprint"
    READ_CMDLET = "Get-SPTrustedRootAuthority"

    def read_entries(self, task_vars: dict) -> tuple:
        output = single_output(self.run_script(self.GET_SCRIPT, task_vars), self.GET_SCRIPT)
        now = self.now()
        self.all_entries = [authority_entry(item, now) for item in output.get("Authorities") or [] if isinstance(item, dict)]
        return self.all_entries, {}

    def present_changes(self, request: dict, entries: list) -> list:
        certificate = request["certificate"]
        if any(entry["thumbprint"] == certificate.thumbprint for entry in entries):
            return []
        name = distinct_name(request["name"], certificate.thumbprint, entries)
        entry = {"name": name, "id": None, "thumbprint": certificate.thumbprint, **{key: certificate.facts[key] for key in FACT_KEYS}}
        detail = f"create {name!r} for certificate {certificate.thumbprint} ({certificate.facts['subject']})"
        return [Change("New", {"Name": name, "Certificate": certificate.base64_der}, f"create {NOUN}", detail, entry)]

    def removal(self, entry: dict) -> Change:
        if str(entry["name"]).lower() == BUILT_IN:
            raise CertopsError(f"refusing to remove SharePoint's built-in {NOUN} {entry['name']!r} (certificate {entry['thumbprint']}): "
                               "it holds the farm's own token signing certificate; remove that thumbprint from thumbprints_to_remove")
        return super().removal(entry)
