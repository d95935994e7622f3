# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exchange Auth certificate: the inputs, and what makes a certificate fit to be the Auth certificate.

PRIVATE to the collection: the name and location may change without notice.

The Auth certificate signs OAuth tokens between servers and with Exchange Online; it is not a TLS
certificate. Exchange makes it self-signed, RSA 2048, with subject "CN=Microsoft Exchange Server
Auth Certificate" and no domain names (reference/products.md §3.1). So a certificate issued by a
CA, one with DNS names, one Exchange has enabled for a service (IIS, SMTP...) or the SMTP default
certificate is refused: making a public TLS certificate the Auth certificate ties OAuth to the TLS
certificate's renewals (win-acme#2075). A CNG/KSP key is refused too: MEAC creates its own with a
legacy CSP key because "the certificate can't be used as Auth Certificate otherwise", and a CNG key
on Exchange 2013 caused OWA/ECP sign-in loops (webprofusion/certify#112).
"""
from __future__ import annotations

import datetime

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products.exchange_auth_matrix import STAGE_NEXT_DAYS, lifetime_days
from ansible_collections.certops.microsoft.plugins.module_utils._public_certificate import public_certificate
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z, parse_iso

VAR = "exchange_auth_"
AUTH_SUBJECT = "CN=Microsoft Exchange Server Auth Certificate"
MIN_NOTICE = datetime.timedelta(hours=48)
MIN_RSA_BITS = 2048


def checked_thumbprint(params: dict) -> str:
    value = str(params.get("thumbprint") or "").strip()
    if not value:
        return ""
    try:
        return normalize_thumbprint(value)
    except CertopsError as error:
        raise CertopsError(f"{VAR}thumbprint: {error}") from None


def checked_date(params: dict):
    """The effective date given for the staged path (None when not given)."""
    value = str(params.get("effective_date") or "").strip()
    if not value:
        return None
    try:
        return parse_iso(value)
    except CertopsError as error:
        raise CertopsError(f"{VAR}effective_date: {error}") from None


def date_refusal(effective, now, current_expiry) -> str:
    """Why a staged effective date cannot be used ("" when it can)."""
    if effective <= now:
        return (f"{VAR}effective_date {iso_z(effective)} is not in the future (the servers' clock reads {iso_z(now)}): Set-AuthConfig refuses it "
                f"(\"The effective date must be greater than the current time\"); give a date at least 48 hours ahead, or leave it empty "
                "for MEAC's default (+30 days)")
    if effective - now < MIN_NOTICE:
        return (f"{VAR}effective_date {iso_z(effective)} is less than 48 hours ahead: servers that have not picked up the next certificate "
                f"by then fail OAuth; give a date after {iso_z(now + MIN_NOTICE)}")
    if current_expiry is not None and effective >= current_expiry:
        return (f"{VAR}effective_date {iso_z(effective)} is after the current Auth certificate expires ({iso_z(current_expiry)}): OWA, ECP "
                "and EWS would fail in between; give an earlier date")
    return ""


# --- the certificate that becomes next (or current) ---------------------------------------------------
def facts_of(der: str, now) -> dict:
    return public_certificate(der, "certificate", now=now).facts


def identity_problems(facts: dict) -> list:
    """What makes the certificate a TLS certificate rather than an Auth certificate, or too weak to sign."""
    problems = []
    if not facts.get("self_signed"):
        problems.append(f"it is issued by {facts.get('issuer')} (a CA): the Auth certificate is self-signed, never a public TLS certificate")
    if facts.get("dns_names"):
        problems.append(f"it names hosts ({', '.join(facts['dns_names'])}): a TLS certificate, not an Auth certificate (no domain names)")
    if facts.get("key_type") != "RSA" or (facts.get("key_size") or 0) < MIN_RSA_BITS:
        problems.append(f"its key is {facts.get('key_type')} {facts.get('key_size')}: the Auth certificate needs RSA {MIN_RSA_BITS} or more")
    return problems


def usage_problems(org, thumbprint: str) -> list:
    """What the servers use the certificate for besides OAuth, and a key that is not a CSP key."""
    problems = []
    for host in org.holders(thumbprint):
        state = org.states[host]
        entry = state["certificates"][thumbprint]
        if entry["services"]:
            problems.append(f"{host} has it enabled for {', '.join(entry['services'])}")
        if state["transport"] == thumbprint:
            problems.append(f"it is {host}'s SMTP default certificate")
        if entry["provider"] != "CSP":
            problems.append(f"its private key on {host} is a {entry['provider'] or 'unknown'} (KSP) key, not a legacy CSP key: the Auth "
                            "certificate must use a CSP key (MEAC creates it so; CNG keys broke OWA/ECP sign-in on Exchange 2013)")
    return problems


def lifetime_problems(facts: dict, now, effective) -> list:
    expiry = parse_iso(facts["not_after"])
    left = lifetime_days(expiry, effective or now)
    if left <= STAGE_NEXT_DAYS:
        return [f"it expires on {facts['not_after']}, {left} day(s) after it would take effect: MEAC renews an Auth certificate with "
                f"{STAGE_NEXT_DAYS} days left, so it must outlive that window"]
    return []


def export_problems(org, thumbprint: str) -> list:
    missing = org.missing(thumbprint)
    if missing and not any(org.states[host]["certificates"][thumbprint]["exportable"] for host in org.holders(thumbprint)):
        return [f"its private key is not exportable on {', '.join(org.holders(thumbprint))}, so it cannot be copied to {', '.join(missing)}"]
    return []


def candidate_problems(org, thumbprint: str, now, effective) -> list:
    """Every reason ``thumbprint`` cannot become the Auth certificate (empty when it can)."""
    if not org.holders(thumbprint):
        return [f"it is not in LocalMachine\\My with its private key on any of {', '.join(org.hosts)}"]
    if thumbprint in (org.auth["current"], org.auth["previous"]):
        return [f"it is already AuthConfig's {'current' if thumbprint == org.auth['current'] else 'previous'} certificate"]
    facts = facts_of(org.der(thumbprint), now)
    return identity_problems(facts) + usage_problems(org, thumbprint) + lifetime_problems(facts, now, effective) + export_problems(org, thumbprint)


def given_certificate(org, thumbprint: str, now, effective) -> str:
    problems = candidate_problems(org, thumbprint, now, effective)
    if problems:
        raise CertopsError(f"{VAR}thumbprint {thumbprint} cannot be the Auth certificate: {'; '.join(problems)}. Give another certificate, or "
                           "leave it empty so that a new one is created as Microsoft documents")
    return thumbprint


def unused_candidates(org, now, effective) -> list:
    """Certificates a previous run made for this purpose and that nothing uses yet, newest expiry first (a re-run adopts
    one instead of creating another)."""
    found = []
    for thumbprint in dict.fromkeys(thumbprint for state in org.states.values() for thumbprint in state["certificates"]):
        if thumbprint in (org.auth["current"], org.auth["next"], org.auth["previous"]) or not org.holders(thumbprint):
            continue
        facts = facts_of(org.der(thumbprint), now)
        if facts.get("subject") == AUTH_SUBJECT and not candidate_problems(org, thumbprint, now, effective):
            found.append((facts["not_after"], thumbprint))
    return [thumbprint for _expiry, thumbprint in sorted(found, reverse=True)]
