# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.sp_trusted_security_token_issuer: SharePoint's trust in Workflow Manager's signing certificate.

Reads every issuer (sharepoint_trust_get), keeps those SharePoint consults for
Workflow Manager's tokens (00000005-0000-0000-c000-000000000000@* or @<realm>), decides here and
applies each change with one sp_trusted_security_token_issuer_set call.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._sp_trust import (
    DEFAULT_REGISTERED_ISSUER_NAME, certificate_facts, default_is_self_issuer, distinct_name, is_workflow_issuer, registered_issuer_name)
from ansible_collections.certops.microsoft.plugins.plugin_utils._trust_action import Change, TrustedObjectAction, single_output

NOUN = "trusted security token issuer"
ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["present", "absent", "query"], "default": "present"},
    "name": {"type": "str"},
    "certificate": {"type": "str"},
    "registered_issuer_name": {"type": "str", "default": DEFAULT_REGISTERED_ISSUER_NAME},
    "is_self_issuer": {"type": "bool"},
    "thumbprints_to_remove": {"type": "list", "elements": "str"},
    "protected_thumbprints": {"type": "list", "elements": "str", "default": []},
}
VALIDATION_RULES = {"required_if": [["state", "present", ["name", "certificate"]],
                                    ["state", "absent", ["certificate", "thumbprints_to_remove"], True]]}


def issuer_entry(item: dict, now) -> dict:
    """One returned issuer from one object of the get script."""
    entry = {"name": item.get("Name"), "id": item.get("Id"), "registered_issuer_name": item.get("RegisteredIssuerName"),
             "is_self_issuer": bool(item.get("IsSelfIssuer")), "metadata_endpoint": item.get("MetadataEndPoint") or None,
             "thumbprint": str(item.get("SigningCertificateThumbprint") or "").upper(),
             "subject": None, "issuer": None, "not_after": None, "days_remaining": None, "expired": None, "self_signed": None}
    entry.update(certificate_facts(item.get("SigningCertificate"), now))
    return entry


def new_issuer_entry(name: str, certificate, rin: str, self_issuer: bool) -> dict:
    facts = certificate.facts
    return {"name": name, "id": None, "registered_issuer_name": rin, "is_self_issuer": self_issuer, "metadata_endpoint": None,
            "thumbprint": certificate.thumbprint, **{key: facts[key] for key in ("subject", "issuer", "not_after", "days_remaining",
                                                                                 "expired", "self_signed")}}


class ActionModule(TrustedObjectAction):
    """certops.microsoft.sp_trusted_security_token_issuer"""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    VALIDATION_RULES = VALIDATION_RULES
    NOUN = NOUN
    LIST_KEY = "issuers"
    GET_SCRIPT = "sharepoint_trust_get"
    SET_SCRIPT = "sp_trusted_security_token_issuer_set"
    DIFF_KEYS = ("name", "thumbprint", "registered_issuer_name", "is_self_issuer")
    THUMBPRINT_OUTPUT = "SigningCertificateThumbprint"
    READ_CMDLET = "Get-SPTrustedSecurityTokenIssuer"

    def request(self, params: dict) -> dict:
        request = super().request(params)
        request["registered_issuer_name"] = registered_issuer_name(params["registered_issuer_name"])
        return request

    def read_entries(self, task_vars: dict) -> tuple:
        output = single_output(self.run_script(self.GET_SCRIPT, task_vars), self.GET_SCRIPT)
        realm, now = str(output.get("Realm") or ""), self.now()
        issuers = [issuer_entry(item, now) for item in output.get("Issuers") or [] if isinstance(item, dict)]
        self.all_entries = issuers
        return [entry for entry in issuers if is_workflow_issuer(entry["registered_issuer_name"], realm)], {"realm": realm}

    def present_changes(self, request: dict, entries: list) -> list:
        certificate, rin = request["certificate"], request["registered_issuer_name"]
        same = [entry for entry in entries if entry["thumbprint"] == certificate.thumbprint and entry["registered_issuer_name"].lower() == rin]
        wanted_self_issuer = request["is_self_issuer"]
        if same:
            # An existing issuer's IsSelfIssuer is changed only when the user says so explicitly.
            stale = [entry for entry in same if wanted_self_issuer is not None and entry["is_self_issuer"] != wanted_self_issuer]
            return [self.update(stale[0], wanted_self_issuer)] if len(stale) == len(same) else []
        self_issuer = default_is_self_issuer(certificate.facts) if wanted_self_issuer is None else wanted_self_issuer
        # Issuer names are unique in the farm, workflow issuers or not: check against all of them.
        name = distinct_name(request["name"], certificate.thumbprint, self.all_entries)
        parameters = {"Name": name, "Certificate": certificate.base64_der, "RegisteredIssuerName": rin, "IsSelfIssuer": self_issuer}
        detail = f"create {name!r} for certificate {certificate.thumbprint} ({certificate.facts['subject']}), {rin}, IsSelfIssuer={self_issuer}"
        return [Change("New", parameters, f"create {NOUN}", detail, new_issuer_entry(name, certificate, rin, self_issuer))]

    def update(self, entry: dict, self_issuer: bool) -> Change:
        detail = f"set IsSelfIssuer={self_issuer} on {entry['name']!r} (certificate {entry['thumbprint']})"
        return Change("Update", {"Identity": entry["id"], "IsSelfIssuer": self_issuer}, f"update {NOUN}", detail,
                      dict(entry, is_self_issuer=self_issuer))

    def verify_new(self, change: Change, output: dict) -> dict:
        return dict(super().verify_new(change, output), is_self_issuer=bool(output.get("IsSelfIssuer")))
