# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.certificate_inventory: read the stores on the host, parse on the controller.

The host (script windows_certificate_inventory.ps1) returns per certificate only its store, the
base64 DER and the facts of its key storage; every field of the certificate itself comes from the
collection's certificate core, so nothing depends on the Windows display language.
"""
from __future__ import annotations

import base64
import binascii
import contextlib


from ansible_collections.certops.microsoft.plugins.module_utils._certificate import inspect_data
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._policy import PURPOSES, check_certificate, effective_policy
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint
from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso, utc_now
from ansible_collections.certops.microsoft.plugins.plugin_utils._action import READ_RUNNER, CertopsActionBase

SCRIPT = "windows_certificate_inventory"
# CngExportPolicies flags under which a key may leave the machine: AllowExport (1) and
# AllowPlaintextExport (2); AllowArchiving (4) only permits a one-time archive at creation.
CNG_EXPORT_FLAGS = 0x1 | 0x2
# Fields of the core that describe the bytes handed to it, not the certificate in the store.
DATA_ONLY_FIELDS = ("private_key_matches", "chain", "certificates", "source_format")

ARGUMENT_SPEC = {
    "store_location": {"type": "list", "elements": "str", "choices": ["LocalMachine", "CurrentUser"], "default": ["LocalMachine"]},
    "store_names": {"type": "list", "elements": "str", "default": ["My", "Root", "CA"]},
    "thumbprint": {"type": "str"},
    "purpose": {"type": "str", "choices": sorted(PURPOSES)},
    "min_days": {"type": "int"},
    "policy": {"type": "dict"},
    "as_of": {"type": "str"},
    "settings_from_variables": {"type": "bool", "default": False},
}
# What settings_from_variables reads: option -> (variable of playbooks/inventory.yml, value when unset).
# (Why: see CertopsActionBase.settings_from; about a tenth of a win_ping per host measured.)
SETTING_VARIABLES = {
    "store_location": ("certops_store_locations", None),
    "store_names": ("certops_store_names", None),
    "purpose": ("certops_purpose", None),
    "min_days": ("certops_min_days", 30),
    "policy": ("certops_policy", None),
    "as_of": ("certops_as_of", None),
}


# A self-signed certificate (CN=warm-up.certops.invalid, SAN, key usage, server auth) that the
# module parses once when ansible-playbook loads it, before forking a worker per host: the workers
# then start with the parsing path warmed (about 1 ms less per host; tests/bench/inventory_bench.py).
WARM_UP_CERTIFICATE = (
    "MIIBfzCCASSgAwIBAgIBATAKBggqhkjOPQQDAjAiMSAwHgYDVQQDDBd3YXJtLXVwLmNlcnRvcHMuaW52YWxpZDAeFw0yNjAxMDEw"
    "MDAwMDBaFw0zNTEyMzAwMDAwMDBaMCIxIDAeBgNVBAMMF3dhcm0tdXAuY2VydG9wcy5pbnZhbGlkMFkwEwYHKoZIzj0CAQYIKoZI"
    "zj0DAQcDQgAEmO3NQ7DPiDimUHvWZBBWEoySB1Rydw3QUNRIk1gNLRdEAFYaFmNA79rZbpH+5wzI3WnvpNlP0gQmuaLLBqQ8n6NL"
    "MEkwIgYDVR0RBBswGYIXd2FybS11cC5jZXJ0b3BzLmludmFsaWQwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMB"
    "MAoGCCqGSM49BAMCA0kAMEYCIQDPMrS3vqTEQ+YuO38BaM+/D3A2+qAU2+D3cXRhLafdMQIhAIY9vCVfYTxyYESqZ464AQ77AZ9R"
    "tP7KQ2x/sqv2s4Rr"
)


def warm_up() -> None:
    """Parse WARM_UP_CERTIFICATE as a host's certificate would be; nothing is kept."""
    item = {"Certificate": WARM_UP_CERTIFICATE, "StoreLocation": "LocalMachine", "StoreName": "My", "Thumbprint": ""}
    with contextlib.suppress(CertopsError):
        certificate_entry(item, utc_now(), policy_request({"min_days": 30}))


def key_exportable(item: dict):
    """True/False from the key storage facts the script returned; None when no key could be read."""
    provider = item.get("KeyProvider")
    if provider == "CSP":
        return bool(item.get("CspExportable"))
    if provider == "CNG":
        return bool(int(item.get("CngExportPolicy") or 0) & CNG_EXPORT_FLAGS)
    return None


def decoded_certificate(item) -> bytes:
    """The DER bytes of one script output object; anything else is a clear error."""
    if not isinstance(item, dict) or not isinstance(item.get("Certificate"), str):
        raise CertopsError(f"script {SCRIPT} returned an object without a Certificate string: {item!r:.200}")
    try:
        return base64.b64decode(item["Certificate"], validate=True)
    except (binascii.Error, ValueError):
        raise CertopsError(f"script {SCRIPT} returned a Certificate that is not base64 (thumbprint {item.get('Thumbprint')})") from None


def parsed_certificate(item, now) -> dict:
    """Every field the certificate core reads from the DER of one script output object."""
    der = decoded_certificate(item)
    try:
        return inspect_data(der, now=now)
    except CertopsError as err:
        where = f"{item.get('StoreLocation')}\\{item.get('StoreName')}"
        raise CertopsError(f"certificate {item.get('Thumbprint')} in {where} could not be read: {err}") from None


def policy_request(params: dict):
    """(policy, purpose) to check against, or None when the task asked for no policy check.
    The policy is merged here, before the host is contacted, so that a wrong key fails at once."""
    if params.get("policy") is None and params.get("purpose") is None and params.get("min_days") is None:
        return None
    policy = dict(params.get("policy") or {})
    if params.get("min_days") is not None:
        policy["min_days_remaining"] = params["min_days"]
    return effective_policy(policy), params.get("purpose")


def certificate_entry(item: dict, now, policy_check=None) -> dict:
    """One returned certificate: every field of the core, the store facts from the host, violations."""
    fields = parsed_certificate(item, now)
    for key in DATA_ONLY_FIELDS:
        fields.pop(key, None)
    fields.update(
        store_location=item.get("StoreLocation"),
        store_name=item.get("StoreName"),
        has_private_key=bool(item.get("HasPrivateKey")),
        key_exportable=key_exportable(item),
        key_provider=item.get("KeyProvider"),
    )
    fields["violations"] = check_certificate(fields, policy_check[0], policy_check[1], now) if policy_check else []
    return fields


def script_parameters(params: dict) -> dict:
    return {
        "StoreLocation": params["store_location"],
        "StoreName": params["store_names"],
        "Thumbprint": normalize_thumbprint(params["thumbprint"]) if params.get("thumbprint") else None,
    }


def evaluation_time(params: dict):
    """The instant days_remaining, expired and the policy are computed at: as_of, else now (UTC)."""
    return parse_iso(params["as_of"]) if params.get("as_of") else utc_now()


class ActionModule(CertopsActionBase):
    """certops.microsoft.certificate_inventory"""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    SCRIPT_RUNNER = READ_RUNNER
    PRELOADED_SCRIPTS = (SCRIPT,)

    def task_arguments(self, task_vars: dict) -> dict:
        """The task's arguments; with settings_from_variables, every option the task leaves out taken
        from its variable (rendered, since a variable may hold a template)."""
        completed = self.settings_from(task_vars, {option: variable for option, (variable, _unset) in SETTING_VARIABLES.items()})
        if completed is self._task.args:
            return completed
        unset = {option: value for option, (_variable, value) in SETTING_VARIABLES.items() if value is not None}
        return {**unset, **completed}

    def perform(self, params: dict, task_vars: dict) -> dict:
        parameters, policy_check = script_parameters(params), policy_request(params)
        now = evaluation_time(params)
        reply = self.run_script(SCRIPT, task_vars, parameters)
        certificates = [certificate_entry(item, now, policy_check) for item in reply.get("output") or []]
        return {"changed": False, "certificates": certificates, "count": len(certificates)}


warm_up()
