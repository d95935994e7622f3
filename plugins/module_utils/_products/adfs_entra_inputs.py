# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS + Entra: the inputs, checked on the controller before any host or Graph is trusted with them.

PRIVATE to the collection: the name and location may change without notice.

- The new CA-issued certificates (token signing, token decrypting) come as a PFX on the controller
  or as the thumbprint of a certificate already installed on every AD FS node. A token-signing
  certificate must carry the digitalSignature key usage (AD FS lists only those: Windows Server
  docs "Obtain and configure TS and TD certificates for AD FS"), a token-decrypting one
  keyEncipherment; both meet the role's policy (key size, hash, days of validity left).
- The Microsoft Graph connection: tenant, app (client) ID, authority host and Graph endpoint
  (sovereign clouds, the lab), a certificate or a client secret, an optional CA bundle.
- The options of the run (mode, domains, emergency flag, margins).
"""
from __future__ import annotations

import base64
import dataclasses
import re

from ansible.module_utils.common.validation import check_type_bool

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import certificate_report
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._graph import GraphSettings
from ansible_collections.certops.microsoft.plugins.module_utils._pfx_input import pfx_bytes, pfx_given, pfx_label, pfx_report
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint

VAR = "adfs_entra_"              # the role's variable prefix, named in every message
SIGNING, DECRYPTING = "Token-Signing", "Token-Decrypting"
KINDS = {SIGNING: "signing", DECRYPTING: "decrypting"}     # certificate type -> option infix
GRAPH_FIELDS = ("tenant_id", "client_id", "authority_host", "endpoint", "certificate_path", "certificate_thumbprint", "certificate_password",
                "client_secret", "ca_path", "timeout", "retries", "max_retry_after")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclasses.dataclass
class NewCertificate:
    """A CA-issued certificate to rotate to; ``base64_der`` and ``facts`` stay empty until known (thumbprint mode)."""

    kind: str
    thumbprint: str
    base64_der: str = ""
    facts: dict = dataclasses.field(default_factory=dict)
    pfx_path: str = ""


# --- Microsoft Graph ------------------------------------------------------------------------------------
def graph_settings(params: dict) -> GraphSettings:
    """The Graph connection from the options (secrets included; never put the result in a plan)."""
    names = {field if field != "endpoint" else "graph_endpoint": f"{VAR}graph_{field}" for field in GRAPH_FIELDS}
    return GraphSettings(tenant_id=str(params.get("graph_tenant_id") or "").strip(), client_id=str(params.get("graph_client_id") or "").strip().lower(),
                         authority_host=params["graph_authority_host"], graph_endpoint=params["graph_endpoint"],
                         certificate_path=params.get("graph_certificate_path") or "",
                         certificate_thumbprint=params.get("graph_certificate_thumbprint") or "",
                         certificate_password=params.get("graph_certificate_password") or "", client_secret=params.get("graph_client_secret") or "",
                         ca_path=params.get("graph_ca_path") or "", timeout=float(params["graph_timeout"]), retries=int(params["graph_retries"]),
                         max_retry_after=float(params["graph_max_retry_after"]), names=names)


def graph_public(params: dict) -> dict:
    """The Graph options a plan may hold (no secret): what apply and verify need besides the secrets."""
    return {f"graph_{field}": params.get(f"graph_{field}") for field in GRAPH_FIELDS if field not in ("certificate_password", "client_secret")}


# --- the new certificates ----------------------------------------------------------------------------
def policy_of(params: dict, kind: str, pfx_mode: bool) -> dict:
    policy = dict(params.get("policy") or {})
    policy.update(min_days_remaining=params["min_days_remaining"], require_private_key=pfx_mode)
    if kind == DECRYPTING:
        policy["required_key_usages"] = sorted(set(policy.get("required_key_usages") or []) | {"keyEncipherment"})
    return policy


def purpose_of(kind: str):
    return "token_signing" if kind == SIGNING else None


def checked_report(report: dict, kind: str, thumbprint: str) -> dict:
    if report["violations"]:
        reasons = "; ".join(item["reason"] for item in report["violations"])
        raise CertopsError(f"the new {kind.lower()} certificate {thumbprint} cannot be used by AD FS: {reasons}")
    return report


def from_pfx(params: dict, kind: str, now) -> NewCertificate:
    prefix = f"{KINDS[kind]}_"
    report = pfx_report(params, prefix, VAR, now, policy=policy_of(params, kind, True), purpose=purpose_of(kind))
    checked_report(report, kind, report["thumbprint"])
    return NewCertificate(kind, report["thumbprint"], report["public_certificate"], report, pfx_label(params, prefix))


def from_installed(certificate: NewCertificate, base64_der: str, params: dict, now) -> NewCertificate:
    """A thumbprint-mode certificate completed from a node's store and checked against the policy."""
    report = certificate_report({"content": base64_der, "policy": policy_of(params, certificate.kind, False),
                                 "purpose": purpose_of(certificate.kind)}, now)
    checked_report(report, certificate.kind, certificate.thumbprint)
    return dataclasses.replace(certificate, base64_der=base64_der, facts=report)


def new_certificate(params: dict, kind: str, now):
    """The new certificate of one type (None when neither its PFX, as a file or as content, nor its thumbprint is given)."""
    infix = KINDS[kind]
    thumbprint = str(params.get(f"{infix}_thumbprint") or "").strip()
    given = pfx_given(params, f"{infix}_") + ([f"{infix}_thumbprint"] if thumbprint else [])
    if len(given) > 1:
        raise CertopsError(f"{' and '.join(VAR + name for name in given)} are set together; give only one of them")
    if thumbprint:
        try:
            return NewCertificate(kind, normalize_thumbprint(thumbprint))
        except CertopsError as error:
            raise CertopsError(f"{VAR}{infix}_thumbprint: {error}") from None
    return from_pfx(params, kind, now) if given else None


def pfx_secrets(params: dict, document: dict) -> dict:
    """The PFXs as base64 and their passwords, for the steps that import them; each must still hold its planned certificate."""
    secrets = {}
    for kind, infix in KINDS.items():
        planned = document["inputs"]["new"].get(infix) or {}
        if planned.get("source") != "pfx":
            continue
        if not pfx_given(params, f"{infix}_"):
            raise CertopsError(f"apply: the plan imports the {kind.lower()} certificate from a PFX: give {VAR}{infix}_pfx_path "
                               f"(or {VAR}{infix}_pfx_content) again")
        report = pfx_report(params, f"{infix}_", VAR)
        if report["thumbprint"] != planned["thumbprint"]:
            raise CertopsError(f"the PFX {pfx_label(params, infix + '_')} now holds certificate {report['thumbprint']}, not "
                               f"{planned['thumbprint']} as when the plan was made; plan again")
        secrets.update({f"{infix}_pfx": base64.b64encode(pfx_bytes(params, f"{infix}_")).decode("ascii"),
                        f"{infix}_pfx_password": params.get(f"{infix}_pfx_password") or ""})
    return secrets


# --- options -----------------------------------------------------------------------------------------
def domain_names(values) -> list:
    """Domain names as Entra spells them (lower case); a malformed one raises."""
    names = []
    for value in values or []:
        name = str(value).strip().lower().rstrip(".")
        if not _DOMAIN.match(name):
            raise CertopsError(f"{VAR}domains: {value!r} is not a domain name; give the federated domains as Entra lists them, e.g. contoso.com")
        names.append(name)
    return list(dict.fromkeys(names))


def metadata_reachable(value):
    """auto (decide from Entra's signingCertificateUpdateStatus), or a boolean an AWX survey may send as text."""
    if value is None or str(value).strip().lower() in ("", "auto"):
        return None
    try:
        return check_type_bool(value)
    except TypeError:
        raise CertopsError(f"{VAR}metadata_reachable is {value!r}: give auto, true or false") from None


def emergency_checked(params: dict) -> str:
    """The compromised thumbprint of an emergency rotation, refused without the explicit flag or the thumbprint."""
    if params["mode"] != "emergency":
        return normalize_thumbprint(params["compromised_thumbprint"]) if params.get("compromised_thumbprint") else ""
    if not params["emergency"]:
        raise CertopsError(f"{VAR}mode=emergency runs Update-AdfsCertificate -Urgent, which replaces the primary token-signing certificate at "
                           f"once and removes the older ones (sign-ins fail until Entra holds the new one); it runs only when "
                           f"{VAR}emergency=true says this is an emergency (a compromised token-signing key)")
    if not params.get("compromised_thumbprint"):
        raise CertopsError(f"{VAR}mode=emergency needs {VAR}compromised_thumbprint, the token-signing certificate to stop trusting: a re-run "
                           "then finishes the rotation instead of starting another one")
    return normalize_thumbprint(params["compromised_thumbprint"])


def margin_checked(params: dict) -> int:
    if params["promotion_margin_days"] < 0:
        raise CertopsError(f"{VAR}promotion_margin_days must be 0 or more, not {params['promotion_margin_days']}")
    return params["promotion_margin_days"]


OPTION_CHECKS = {"compromised": emergency_checked, "margin": margin_checked, "domains": lambda params: domain_names(params.get("domains")),
                 "metadata_reachable": lambda params: metadata_reachable(params.get("metadata_reachable"))}


def checked_options(params: dict, run) -> dict:
    """The options besides certificates and Graph, normalised; ``run(check, params)`` turns each problem into a refusal (gates.run)."""
    options = {name: run(check, params) for name, check in OPTION_CHECKS.items()}
    options["mode"] = params["mode"]
    return options
