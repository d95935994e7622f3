# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS + Entra: the steps of a rotation, each one exact write, planned only where the read state differs from the goal.

PRIVATE to the collection: the name and location may change without notice.

AD FS steps run on the primary node (certificate and property changes fail on a secondary,
MicrosoftDocs/windowsserverdocs#3761); staging a CA-issued certificate runs on every node. Entra
steps run on the controller (a Graph PATCH per domain) and are anchored on the primary node in the
plan's order. ``decided`` is what adfs_entra.plan() established: the farm, the domains, the new
certificates, the options.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._key_access import has_read
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_inputs import KINDS, SIGNING
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Step

CONTROLLER_OPERATION = "entra_federation_patch"


def graph_secrets(decided: dict) -> dict:
    """The secret inputs a Graph step names (the engine fills them in at apply time)."""
    names = [name for name in ("graph_client_secret", "graph_certificate_password") if decided["graph_secret_names"].get(name)]
    return {name: name for name in names}


# --- AD FS ---------------------------------------------------------------------------------------------
def adfs_step(decided: dict, step_id: str, phase: str, action: str, detail: str, parameters: dict, after=None) -> Step:
    return Step(id=step_id, host=decided["farm"]["primary"], phase=phase, action=action, detail=detail, script="adfs_certificate_set",
                parameters=parameters, after=list(after or []))


def auto_rollover_off_step(decided: dict) -> Step:
    return Step(id="auto-rollover-off", host=decided["farm"]["primary"], phase="prepare", action="turn off auto-rollover",
                detail="Set-AdfsProperties -AutoCertificateRollover $false: CA-issued token certificates need it off (AD FS would replace "
                       "them with self-signed ones)", script="adfs_properties_set", parameters={"AutoCertificateRollover": False})


def stage_step(host: str, new, state: dict, decided: dict):
    """The certificate with its key on a node, readable by the AD FS service account (None when it already is)."""
    entry, account = state["store"].get(new.thumbprint) or {}, decided["farm"]["service_account"]
    needs_import = not entry.get("has_key")
    missing = [] if has_read(account, entry.get("readers") or []) else [account]
    if not needs_import and not missing:
        return None
    infix = KINDS[new.kind]
    detail = (f"import {new.kind.lower()} certificate {new.thumbprint} with its private key into LocalMachine\\My and grant {account} read "
              "access to the key" if needs_import else f"grant {account} read access to the private key of {new.thumbprint}")
    parameters = {"Thumbprint": new.thumbprint, "Account": missing, "Exportable": decided["key_exportable"]}
    return Step(id=f"stage-{infix}-{host}", host=host, phase="stage", action=f"stage {new.kind.lower()} certificate", detail=detail,
                script="windows_certificate_import", parameters=parameters,
                secrets={"Pfx": f"{infix}_pfx", "PfxPassword": f"{infix}_pfx_password"} if needs_import else {})


def add_step(decided: dict, new, after: list) -> Step:
    return adfs_step(decided, f"add-{KINDS[new.kind]}", "stage", f"add secondary {new.kind.lower()} certificate",
                     f"Add-AdfsCertificate -CertificateType {new.kind} -Thumbprint {new.thumbprint} ({new.facts.get('subject', '')}, until "
                     f"{new.facts.get('not_after', '')}): AD FS publishes it as secondary and keeps signing with the primary",
                     {"Operation": "Add", "CertificateType": new.kind, "Thumbprint": new.thumbprint}, after)


def promote_step(decided: dict, new, current: str, after: list) -> Step:
    return adfs_step(decided, f"promote-{KINDS[new.kind]}", "activate", f"promote {new.kind.lower()} certificate",
                     f"Set-AdfsCertificate -CertificateType {new.kind} -Thumbprint {new.thumbprint} -IsPrimary (replacing {current or 'none'}, "
                     "which stays as secondary)", {"Operation": "Promote", "CertificateType": new.kind, "Thumbprint": new.thumbprint}, after)


def remove_step(decided: dict, kind: str, thumbprint: str, after: list) -> Step:
    step = adfs_step(decided, f"remove-{KINDS[kind]}", "cleanup", f"remove retired {kind.lower()} certificate",
                     f"Remove-AdfsCertificate -CertificateType {kind} -Thumbprint {thumbprint}",
                     {"Operation": "Remove", "CertificateType": kind, "Thumbprint": thumbprint}, after)
    step.irreversible = True
    return step


def update_step(decided: dict, urgent: bool, after: list) -> Step:
    flag = " -Urgent" if urgent else ""
    detail = ("Update-AdfsCertificate -CertificateType Token-Signing -Urgent: a new primary at once; AD FS removes the older certificates"
              if urgent else "Update-AdfsCertificate -CertificateType Token-Signing: a second new certificate, as secondary")
    return adfs_step(decided, "emergency-urgent" if urgent else "emergency-second", "emergency", f"Update-AdfsCertificate{flag}", detail,
                     {"Operation": "Update", "CertificateType": SIGNING, "Urgent": urgent}, after)


# --- Entra ---------------------------------------------------------------------------------------------
def entra_step(decided: dict, domain: dict, change: dict) -> Step:
    """A PATCH of one domain's federation: ``change`` holds id, phase, action, detail, body, expect and after."""
    parameters = {"graph": decided["graph"], "domain": domain["id"], "federation_id": domain["federation"]["id"], "body": change["body"],
                  "expect": change["expect"]}
    return Step(id=f"{change['id']}-{domain['id']}", host=decided["farm"]["primary"], phase=change["phase"], action=change["action"],
                detail=f"{domain['id']}: {change['detail']}", controller=CONTROLLER_OPERATION, parameters=parameters,
                secrets=graph_secrets(decided), after=list(change.get("after") or []), irreversible=bool(change.get("irreversible")))


def next_change(domain: dict, certificate: dict, after: list) -> dict:
    """Entra trusts ``certificate`` as nextSigningCertificate, signingCertificate untouched."""
    signing = domain["federation"]["signing"]
    return {"id": "entra-next", "phase": "stage", "action": "stage next signing certificate in Entra",
            "detail": f"PATCH nextSigningCertificate = {certificate['thumbprint']}, signingCertificate stays {signing or 'none'}",
            "body": {"nextSigningCertificate": certificate["der"]}, "expect": {"signing": signing, "next": certificate["thumbprint"]}, "after": after}


def signing_change(certificate: dict, fallback, after: list, change_id: str = "entra-signing", phase: str = "activate") -> dict:
    """Entra's signingCertificate becomes ``certificate``; ``fallback`` (or none) stays trusted as next for the switch-over."""
    fallback_thumbprint = fallback["thumbprint"] if fallback else ""
    return {"id": change_id, "phase": phase, "action": "make it Entra's signing certificate",
            "detail": f"PATCH signingCertificate = {certificate['thumbprint']}, nextSigningCertificate = {fallback_thumbprint or 'none'}",
            "body": {"signingCertificate": certificate["der"], "nextSigningCertificate": fallback["der"] if fallback else None},
            "expect": {"signing": certificate["thumbprint"], "next": fallback_thumbprint}, "after": after}


def clear_next_change(domain: dict, signing: str, retired: str) -> dict:
    return {"id": "entra-clear-next", "phase": "cleanup", "action": "stop trusting the retired certificate in Entra", "irreversible": True,
            "detail": f"PATCH nextSigningCertificate = none (was {retired}); signingCertificate stays {signing}",
            "body": {"nextSigningCertificate": None}, "expect": {"signing": signing, "next": ""}}


def certificate_view(certificate) -> dict:
    """A NewCertificate or an AD FS certificate as {thumbprint, der} for the Entra changes."""
    if isinstance(certificate, dict):
        return {"thumbprint": certificate["thumbprint"], "der": certificate["der"]}
    return {"thumbprint": certificate.thumbprint, "der": certificate.base64_der}
