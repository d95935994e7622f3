# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.wfm_outbound_certificate: read, and if asked switch, Workflow Manager's outbound certificate.

One read (wfm_host_get, Get-WFOutboundCertificate: never Get-WFFarm, which shows
a stale thumbprint on WFM 1.0 CU3); the decision here; at most one write
(wfm_outbound_certificate_set: Set-WFNextOutboundCertificateReference, then
Set-WFNextOutboundCertificateAsCurrent, then the same read again), whose re-read is verified.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._outbound_references import outbound_references
from ansible_collections.certops.microsoft.plugins.module_utils._plan import plan_step
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint
from ansible_collections.certops.microsoft.plugins.plugin_utils._trust_action import NestedOutputActionBase, host_of, single_output

GET_SCRIPT = "wfm_host_get"
SET_SCRIPT = "wfm_outbound_certificate_set"
ARGUMENT_SPEC = {
    "service_uri": {"type": "str", "required": True},
    "thumbprint": {"type": "str"},
}


def references_result(references: dict) -> dict:
    return {f"{role}_thumbprint": value for role, value in references.items()}


def predicted(before: dict, thumbprint: str) -> dict:
    """The references after the switch, as Set-WFNextOutboundCertificateAsCurrent leaves them."""
    return {"current": thumbprint, "next": "", "previous": before["current"]}


def verified(after: dict, thumbprint: str, service_uri: str) -> dict:
    if after["current"] != thumbprint:
        raise CertopsError(f"Workflow Manager at {service_uri} still reports outbound certificate {after['current'] or 'none'} as current "
                           f"after the switch to {thumbprint} (next: {after['next'] or 'none'}); check Get-WFOutboundCertificate "
                           "and the Workflow Manager event log, then run the task again")
    return after


class ActionModule(NestedOutputActionBase):
    """certops.microsoft.wfm_outbound_certificate"""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def read(self, name: str, task_vars: dict, parameters: dict) -> dict:
        output = single_output(self.run_script(name, task_vars, parameters), name)
        return outbound_references(output.get("References"))

    def perform(self, params: dict, task_vars: dict) -> dict:
        thumbprint = normalize_thumbprint(params["thumbprint"]) if params.get("thumbprint") is not None else None
        parameters = {"ServiceUri": params["service_uri"]}
        before = self.read(GET_SCRIPT, task_vars, parameters)
        if thumbprint is None or before["current"] == thumbprint:
            return self.result(before, before, changed=False)
        if self.check_mode:
            detail = (f"make outbound certificate {thumbprint} current at {params['service_uri']} (replacing {before['current'] or 'none'}): "
                      "Set-WFNextOutboundCertificateReference, Set-WFNextOutboundCertificateAsCurrent, verify")
            plan = [plan_step(1, host_of(task_vars), "switch Workflow Manager outbound certificate", detail)]
            return dict(self.result(before, predicted(before, thumbprint), changed=True), plan=plan)
        after = self.read(SET_SCRIPT, task_vars, dict(parameters, Thumbprint=thumbprint))
        return self.result(before, verified(after, thumbprint, params["service_uri"]), changed=True)

    def result(self, before: dict, after: dict, changed: bool) -> dict:
        result = {"changed": changed, **references_result(after),
                  "diff": {"before": {"current_thumbprint": before["current"]}, "after": {"current_thumbprint": after["current"]}}}
        if self.check_mode:
            result.setdefault("plan", [])
        return result
