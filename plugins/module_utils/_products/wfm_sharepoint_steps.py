# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Workflow Manager + SharePoint: the steps of a rotation, each only where the read state differs from the goal.

PRIVATE to the collection: the name and location may change without notice.

``decided`` is what wfm_sharepoint.plan() established: the new certificate, the topology, each
host's state, the SharePoint farms, Workflow Manager's references and the checked options.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._key_access import has_read
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Step
from ansible_collections.certops.microsoft.plugins.module_utils._sp_trust import default_is_self_issuer, distinct_name, is_workflow_issuer

PFX_SECRETS = {"Pfx": "pfx", "PfxPassword": "pfx_password"}
# SharePoint's own root authority (its security token service certificate); never ours to remove.
BUILT_IN_AUTHORITY = "local"


def _workflow_issuers(state: dict) -> list:
    return [issuer for issuer in state["issuers"] if is_workflow_issuer(issuer["registered_issuer_name"], state["realm"])]


# --- stage: the certificate and its key on every Workflow Manager host --------------------------
def stage_step(host: str, entry: dict, params: dict, decided: dict):
    new, account = decided["certificate"], decided["service_account"]
    needs_import = not entry.get("has_key")
    missing = [] if has_read(account, entry.get("readers") or []) else [account]
    if not needs_import and not missing:
        return None
    exportable = "exportable" if params["key_exportable"] else "not exportable"
    detail = (f"import certificate {new.thumbprint} with its private key ({exportable}) into LocalMachine\\My and grant {account} read "
              "access to the key") if needs_import else f"grant {account} read access to the private key of {new.thumbprint}"
    return Step(id=f"stage-{host}", host=host, phase="stage", action="stage certificate", detail=detail, script="windows_certificate_import",
                parameters={"Thumbprint": new.thumbprint, "Account": missing, "Exportable": params["key_exportable"]},
                secrets=dict(PFX_SECRETS) if needs_import else {})


def stage_steps(params: dict, decided: dict) -> list:
    thumbprint = decided["certificate"].thumbprint
    steps = [stage_step(host, decided["states"][host]["wfm"]["certificates"].get(thumbprint) or {}, params, decided)
             for host in decided["topology"].wfm_hosts]
    return [step for step in steps if step]


# --- trust: every farm trusts the new certificate ------------------------------------------------
def root_step(params: dict, decided: dict, farm: dict):
    new, state = decided["certificate"], farm["state"]
    if not params["trust_root_authority"] or any(item["thumbprint"] == new.thumbprint for item in state["authorities"]):
        return None
    name = distinct_name(params["root_authority_name"], new.thumbprint, state["authorities"])
    return Step(id=f"trust-root-farm{farm['number']}", host=farm["hosts"][0], phase="trust", action="create trusted root authority",
                detail=f"create trusted root authority {name!r} for certificate {new.thumbprint} ({new.facts.get('subject')}) "
                       f"in farm {farm['id']}", script="sp_trusted_root_authority_set",
                parameters={"Operation": "New", "Name": name, "Certificate": new.base64_der})


def issuer_update_step(decided: dict, farm: dict, trusting: list):
    """IsSelfIssuer of an existing issuer changes only when the user says so explicitly."""
    wanted = decided["is_self_issuer"]
    if wanted is None or any(issuer["is_self_issuer"] == wanted for issuer in trusting):
        return None
    issuer = trusting[0]
    return Step(id=f"trust-issuer-farm{farm['number']}", host=farm["hosts"][0], phase="trust", action="update trusted security token issuer",
                detail=f"set IsSelfIssuer={wanted} on {issuer['name']!r} (certificate {issuer['thumbprint']}) in farm {farm['id']}",
                script="sp_trusted_security_token_issuer_set", parameters={"Operation": "Update", "Identity": issuer["id"], "IsSelfIssuer": wanted})


def issuer_step(params: dict, decided: dict, farm: dict, after: list):
    new, state = decided["certificate"], farm["state"]
    trusting = [issuer for issuer in _workflow_issuers(state) if issuer["thumbprint"] == new.thumbprint]
    if trusting:
        return issuer_update_step(decided, farm, trusting)
    self_issuer = default_is_self_issuer(new.facts) if decided["is_self_issuer"] is None else decided["is_self_issuer"]
    name, rin = distinct_name(params["issuer_name"], new.thumbprint, state["issuers"]), decided["registered_issuer_name"]
    return Step(id=f"trust-issuer-farm{farm['number']}", host=farm["hosts"][0], phase="trust", action="create trusted security token issuer",
                detail=f"create trusted security token issuer {name!r} for certificate {new.thumbprint} ({new.facts.get('subject')}), {rin}, "
                       f"IsSelfIssuer={self_issuer}, in farm {farm['id']}", script="sp_trusted_security_token_issuer_set",
                parameters={"Operation": "New", "Name": name, "Certificate": new.base64_der, "RegisteredIssuerName": rin,
                            "IsSelfIssuer": self_issuer}, after=after)


def farm_steps(params: dict, decided: dict, farm: dict) -> list:
    root = root_step(params, decided, farm)
    issuer = issuer_step(params, decided, farm, [root.id] if root else [])
    return [step for step in (root, issuer) if step]


# --- activate: Workflow Manager signs with the new certificate -----------------------------------
def switch_step(params: dict, decided: dict, after: list):
    new, current = decided["certificate"].thumbprint, decided["references"]["current"]
    if current == new:
        return None
    return Step(id="switch", host=decided["topology"].primary, phase="activate", action="switch outbound certificate",
                detail=f"make certificate {new} Workflow Manager's outbound certificate at {params['service_uri']} (replacing "
                       f"{current or 'none'}): Set-WFNextOutboundCertificateReference, Set-WFNextOutboundCertificateAsCurrent",
                script="wfm_outbound_certificate_set", parameters={"ServiceUri": params["service_uri"], "Thumbprint": new}, after=after)


# --- cleanup: the retired certificate's trust and the certificate itself --------------------------
def farm_cleanup_steps(farm: dict, retired: str) -> list:
    state, host, steps = farm["state"], farm["hosts"][0], []
    for number, issuer in enumerate(item for item in _workflow_issuers(state) if item["thumbprint"] == retired):
        steps.append(Step(id=f"remove-issuer-farm{farm['number']}-{number + 1}", host=host, phase="cleanup", irreversible=True,
                          action="remove trusted security token issuer", script="sp_trusted_security_token_issuer_set",
                          detail=f"remove trusted security token issuer {issuer['name']!r} (certificate {retired}) from farm {farm['id']}",
                          parameters={"Operation": "Remove", "Identity": issuer["id"]}))
    authorities = [item for item in state["authorities"] if item["thumbprint"] == retired and item["name"].lower() != BUILT_IN_AUTHORITY]
    for number, authority in enumerate(authorities):
        steps.append(Step(id=f"remove-root-farm{farm['number']}-{number + 1}", host=host, phase="cleanup", irreversible=True,
                          action="remove trusted root authority", script="sp_trusted_root_authority_set",
                          detail=f"remove trusted root authority {authority['name']!r} (certificate {retired}) from farm {farm['id']}",
                          parameters={"Operation": "Remove", "Identity": authority["id"]}))
    return steps


def certificate_cleanup_steps(decided: dict, retired: str) -> list:
    holders = [host for host in decided["topology"].wfm_hosts if retired in decided["states"][host]["wfm"]["certificates"]]
    return [Step(id=f"remove-certificate-{host}", host=host, phase="cleanup", irreversible=True, action="remove retired certificate",
                 detail=f"remove certificate {retired} from LocalMachine\\My", module="ansible.windows.win_certificate_store",
                 module_args={"thumbprint": retired, "store_location": "LocalMachine", "store_name": "My", "state": "absent"})
            for host in holders]


def cleanup_steps(params: dict, decided: dict, retired: str) -> list:
    if not retired:
        return []
    steps = [step for farm in decided["farms"] for step in farm_cleanup_steps(farm, retired)]
    return steps + (certificate_cleanup_steps(decided, retired) if params["cleanup_remove_certificate"] else [])
