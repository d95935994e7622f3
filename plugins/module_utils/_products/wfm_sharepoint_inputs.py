# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Workflow Manager + SharePoint: the inputs, checked on the controller before any host is trusted with them.

PRIVATE to the collection: the name and location may change without notice.

The new outbound certificate comes as a PFX on the controller (read here, with its password) or
as the thumbprint of a certificate already installed on every Workflow Manager host (its DER then
comes from the hosts' read). Either way it must be able to sign Workflow Manager's tokens: the
policy of the role (minimum validity, key size, hash, digitalSignature) is checked here.
"""
from __future__ import annotations

import base64
import dataclasses

from ansible.module_utils.common.validation import check_type_bool

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import certificate_report
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._pfx_input import pfx_bytes, pfx_label, pfx_report
from ansible_collections.certops.microsoft.plugins.module_utils._key_access import checked_accounts
from ansible_collections.certops.microsoft.plugins.module_utils._sp_trust import registered_issuer_name
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint

VAR = "wfm_sharepoint_"          # the role's variable prefix, named in every message (as in wfm_sharepoint.py)
PURPOSE = "token_signing"


@dataclasses.dataclass
class NewCertificate:
    """The certificate Workflow Manager will sign with; ``base64_der`` and ``facts`` are empty until known."""

    thumbprint: str
    base64_der: str = ""
    facts: dict = dataclasses.field(default_factory=dict)
    pfx_path: str = ""


def policy_of(params: dict, pfx_mode: bool) -> dict:
    """The user's policy keys with the role's minimum validity; a PFX must hold the private key."""
    policy = dict(params.get("policy") or {})
    policy.update(min_days_remaining=params["min_days_remaining"], require_private_key=pfx_mode)
    return policy


def policy_refusal(thumbprint: str, violations: list) -> str:
    reasons = "; ".join(item["reason"] for item in violations)
    return f"the new certificate {thumbprint} cannot sign Workflow Manager's tokens: {reasons}"


def from_pfx(params: dict, now) -> NewCertificate:
    """The PFX read on the controller, its leaf checked against the policy."""
    report = pfx_report(params, "", VAR, now, policy=policy_of(params, True), purpose=PURPOSE)
    if report["violations"]:
        raise CertopsError(policy_refusal(report["thumbprint"], report["violations"]))
    return NewCertificate(report["thumbprint"], report["public_certificate"], report, pfx_label(params))


def from_installed(certificate: NewCertificate, base64_der: str, params: dict, now) -> NewCertificate:
    """The thumbprint-mode certificate completed from a host's store, checked against the policy."""
    report = certificate_report({"content": base64_der, "policy": policy_of(params, False), "purpose": PURPOSE}, now)
    if report["violations"]:
        raise CertopsError(policy_refusal(certificate.thumbprint, report["violations"]))
    return dataclasses.replace(certificate, base64_der=base64_der, facts=report)


def new_certificate(params: dict, now) -> NewCertificate:
    """Exactly one of the PFX (a file or its base64 content) and the thumbprint, read and checked."""
    given = [name for name in ("pfx_path", "pfx_content", "thumbprint") if str(params.get(name) or "").strip()]
    if not given:
        raise CertopsError(f"no new certificate given; set {VAR}pfx_path (and {VAR}pfx_password) to a PFX on the controller, "
                           f"{VAR}pfx_content to its base64 (an AWX credential), or {VAR}thumbprint to a certificate already "
                           "installed on every Workflow Manager host")
    if len(given) > 1:
        raise CertopsError(f"{' and '.join(VAR + name for name in given)} are set together; give only one of them")
    if given == ["thumbprint"]:
        return NewCertificate(normalize_thumbprint(params["thumbprint"]))
    return from_pfx(params, now)


def is_self_issuer(value) -> bool | None:
    """None (decide from the certificate) for "", else a boolean, as an AWX survey may send it as text."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return check_type_bool(value)
    except TypeError:
        raise CertopsError(f"{VAR}is_self_issuer is {value!r}: give true, false or leave it empty") from None


def checked_options(params: dict) -> dict:
    """The options besides the certificate, normalised (a malformed one raises)."""
    return {"registered_issuer_name": registered_issuer_name(params["registered_issuer_name"]),
            "is_self_issuer": is_self_issuer(params.get("is_self_issuer")),
            "service_account": checked_accounts([params["service_account"]])[0], "service_uri": params["service_uri"]}


def pfx_secrets(params: dict, thumbprint: str) -> dict:
    """The PFX as base64 and its password, for the steps that import it; it must still hold ``thumbprint``."""
    report = pfx_report(params, "", VAR)
    if report["thumbprint"] != thumbprint:
        raise CertopsError(f"the PFX now holds certificate {report['thumbprint']}, not {thumbprint} as when the plan was made; plan again")
    return {"pfx": base64.b64encode(pfx_bytes(params)).decode("ascii"), "pfx_password": params.get("pfx_password") or ""}
