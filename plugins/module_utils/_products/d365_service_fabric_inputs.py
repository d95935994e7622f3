# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""D365 Finance + Operations on-premises: the rotation's inputs, checked on the controller.

PRIVATE to the collection: the name and location may change without notice.

Five certificates change (certificate-rotation-on-prem): the Service Fabric cluster/server
certificate (``server``), the Service Fabric client (admin) certificate (``client``), the
axdataencipherment certificate (``encipherment``, Credentials.json), and the data-encryption and
data-signing certificates. Each new one is named, in increasing precedence, by the Infrastructure
scripts' ConfigTemplate.xml (the one on the controller, else the one in the Infrastructure folder
the nodes use), by a thumbprint, or by a PFX on the controller (then placed on every node).
"""
from __future__ import annotations

import base64

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import certificate_report
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._pfx_input import pfx_bytes, pfx_label, pfx_source
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_config_template as template
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint

VAR = "d365_service_fabric_"
ROLES = ("server", "client", "encipherment", "data_encryption", "data_signing")
LABELS = {"server": "Service Fabric cluster/server (Star/SF)", "client": "Service Fabric client", "encipherment": "axdataencipherment",
          "data_encryption": "data encryption", "data_signing": "data signing"}


def role_names(mapping, variable: str) -> dict:
    """A {role: value} option with only known roles; CertopsError naming an unknown one."""
    mapping = mapping or {}
    if not isinstance(mapping, dict):
        raise CertopsError(f"{VAR}{variable} must be a mapping of certificate role to value, e.g. {{server: ..., client: ...}}")
    unknown = sorted(set(mapping) - set(ROLES))
    if unknown:
        raise CertopsError(f"{VAR}{variable} names {', '.join(unknown)}: use the roles {', '.join(ROLES)}")
    return {role: value for role, value in mapping.items() if value not in (None, "")}


def given_thumbprints(params: dict) -> dict:
    """{role: thumbprint} from d365_service_fabric_certificates, normalised."""
    found = {}
    for role, value in role_names(params.get("certificates"), "certificates").items():
        try:
            found[role] = normalize_thumbprint(str(value))
        except CertopsError as error:
            raise CertopsError(f"{VAR}certificates.{role}: {error}") from None
    return found


def pfx_views(params: dict) -> dict:
    """{role: {pfx_path or pfx_content, pfx_password}}: each role's PFX as a file on the controller or as base64 text
    (an AWX credential), never both."""
    files, contents = role_names(params.get("pfx_files"), "pfx_files"), role_names(params.get("pfx_contents"), "pfx_contents")
    both = sorted(set(files) & set(contents))
    if both:
        raise CertopsError(f"{VAR}pfx_files and {VAR}pfx_contents both give {', '.join(both)}; give each role's PFX one way")
    views = {**{role: {"pfx_path": path} for role, path in files.items()}, **{role: {"pfx_content": text} for role, text in contents.items()}}
    return {role: {**view, "pfx_password": params.get("pfx_password") or ""} for role, view in views.items()}


def variable_of(view: dict, role: str) -> str:
    return f"{VAR}{'pfx_contents' if 'pfx_content' in view else 'pfx_files'}.{role}"


def pfx_reports(params: dict, now) -> dict:
    """{role: certificate report} of every PFX in d365_service_fabric_pfx_files or _pfx_contents (private key required)."""
    reports = {}
    for role, view in pfx_views(params).items():
        try:
            report = certificate_report({**pfx_source(view), "password": view["pfx_password"] or None, "policy": {"require_private_key": True}}, now)
        except CertopsError as error:
            raise CertopsError(f"{variable_of(view, role)}: {error} (and {VAR}pfx_password)") from None
        if report["violations"]:
            raise CertopsError(f"{variable_of(view, role)} ({pfx_label(view)}): {'; '.join(item['reason'] for item in report['violations'])}")
        reports[role] = report
    return reports


def template_thumbprints(params: dict) -> dict:
    """{role: thumbprint} of the controller's ConfigTemplate.xml (d365_service_fabric_config_template), or {}."""
    path = params.get("config_template") or ""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as error:
        raise CertopsError(f"{VAR}config_template {path!r} cannot be read: {error.strerror}; give the path of ConfigTemplate.xml on "
                           "the controller") from None
    return template.rotation_thumbprints(text, f"{VAR}config_template {path}")


def new_thumbprints(params: dict, reports: dict, share_template: dict) -> dict:
    """{role: thumbprint}: ConfigTemplate.xml, then the given thumbprints, then the PFX files; every role required."""
    found = {**share_template, **template_thumbprints(params), **given_thumbprints(params)}
    found.update({role: report["thumbprint"] for role, report in reports.items()})
    missing = [role for role in ROLES if role not in found]
    if missing:
        raise CertopsError(f"no new certificate is known for {', '.join(missing)}; give them in {VAR}certificates (thumbprints), "
                           f"{VAR}pfx_files, or a ConfigTemplate.xml with their <Thumbprint> ({VAR}config_template)")
    return found


def same_certificate_twice(thumbprints: dict) -> None:
    seen = {}
    for role, thumbprint in thumbprints.items():
        if thumbprint in seen and {role, seen[thumbprint]} != {"server", "client"}:
            raise CertopsError(f"the {LABELS[seen[thumbprint]]} and {LABELS[role]} certificates are the same ({thumbprint}); each needs "
                               "its own certificate")
        seen.setdefault(thumbprint, role)


def validity_refusal(label: str, report: dict, min_days: int) -> str:
    """Why a certificate cannot be used from now on ("" when it can)."""
    days = report.get("days_remaining")
    if report.get("expired") or (days is not None and days < 0):
        return f"the {label} certificate {report['thumbprint']} has expired ({report.get('not_after')}); renew it"
    if days is not None and days < min_days:
        return (f"the {label} certificate {report['thumbprint']} expires in {days} day(s), less than {VAR}min_days_remaining "
                f"({min_days}); give a certificate with more validity left")
    return ""


def other_certificate_refusals(params: dict, now) -> list:
    """The SQL Server and AD FS certificates (public certificates on the controller) must not be expired."""
    refusals = []
    for path in params.get("other_certificates") or []:
        try:
            report = certificate_report({"path": path}, now)
        except CertopsError as error:
            refusals.append(f"{VAR}other_certificates: {path}: {error}")
            continue
        problem = validity_refusal(f"{path} ({report.get('subject')})", report, 0)
        if problem:
            refusals.append(problem + " (the D365 procedure: check the SQL Server and AD FS certificates)")
    return refusals


def pfx_secrets(params: dict, reports: dict, roles: list) -> dict:
    """{pfx_<role>: base64 PFX, pfx_password} for the steps that import them; each must still hold the planned certificate."""
    secrets = {"pfx_password": params.get("pfx_password") or ""}
    views = pfx_views(params)
    for role in roles:
        report = certificate_report({**pfx_source(views[role]), "password": views[role]["pfx_password"] or None})
        if report["thumbprint"] != reports[role]:
            raise CertopsError(f"the PFX {pfx_label(views[role])} now holds {report['thumbprint']}, not {reports[role]} as when the plan was "
                               "made; plan again")
        secrets[f"pfx_{role}"] = base64.b64encode(pfx_bytes(views[role])).decode("ascii")
    return secrets
