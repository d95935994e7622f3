# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate policy: check a described certificate and return every violation with its reason.

PRIVATE to the collection: the name and location may change without notice.

Defaults follow the PKI hygiene the products expect (products.md §5): RSA >= 2048 bits (Exchange
HealthChecker marks smaller keys red), EC >= 256 bits, SHA-256 or better, 30 days of validity
left. Purposes add the key usages and EKUs a role needs: AD FS token signing needs
digitalSignature; a TLS server certificate needs the serverAuth EKU.
"""
from __future__ import annotations

import copy

from ansible.module_utils.common.validation import check_type_bool, check_type_int, check_type_list

from ansible_collections.certops.microsoft.plugins.module_utils._cert_names import ANY_EXTENDED_KEY_USAGE, CLIENT_AUTH, SERVER_AUTH, eku_name, eku_oid

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._time import days_between, parse_iso, resolve_now

DEFAULT_POLICY = {
    "min_rsa_key_size": 2048,
    "min_ec_key_size": 256,
    "allowed_key_types": ["RSA", "EC", "Ed25519", "Ed448"],
    "allowed_signature_hashes": ["sha256", "sha384", "sha512"],
    "min_days_remaining": 30,
    "require_private_key": False,
    "required_key_usages": [],
    "required_extended_key_usages": [],
}

# any_key_usage: at least one of them must be set; extended_key_usages: all must be present.
PURPOSES = {
    "token_signing": {"any_key_usage": ["digitalSignature"], "extended_key_usages": []},
    "server_auth": {"any_key_usage": ["digitalSignature", "keyEncipherment"], "extended_key_usages": [SERVER_AUTH]},
    "client_auth": {"any_key_usage": ["digitalSignature", "keyAgreement"], "extended_key_usages": [CLIENT_AUTH]},
}


def violation(code: str, reason: str) -> dict:
    """One policy violation: a stable code for automation and a reason for people."""
    return {"code": code, "reason": reason}


# Values from AWX surveys, extra vars and templated dicts on older ansible-core arrive as strings
# ("30", "yes", "sha256,sha384"): convert them the way module options are converted.
_CONVERTERS = {bool: check_type_bool, int: check_type_int, list: check_type_list}


def _checked_value(key: str, value):
    """The policy value converted to the default's type; CertopsError naming the key otherwise."""
    expected = type(DEFAULT_POLICY[key])
    try:
        if isinstance(value, bool) and expected is not bool:
            raise TypeError("a boolean is not a number or a list")
        return _CONVERTERS[expected](value)
    except (TypeError, ValueError):
        raise CertopsError(f"policy key '{key}' must be a {expected.__name__}, got {type(value).__name__} {value!r}") from None


def effective_policy(policy: dict | None) -> dict:
    """The default policy overridden by the given keys; unknown keys and wrong types are errors."""
    merged = copy.deepcopy(DEFAULT_POLICY)
    for key, value in (policy or {}).items():
        if key not in DEFAULT_POLICY:
            raise CertopsError(f"unknown policy key '{key}': valid keys are {', '.join(sorted(DEFAULT_POLICY))}")
        merged[key] = _checked_value(key, value)
    return merged


def key_violations(info: dict, policy: dict) -> list:
    """weak_key when the key type is not allowed or the key is smaller than the minimum for its type."""
    key_type, size = info.get("key_type"), info.get("key_size")
    if key_type not in policy["allowed_key_types"]:
        allowed = ", ".join(policy["allowed_key_types"])
        return [violation("weak_key", f"key type {key_type} is not allowed (allowed: {allowed}); issue a new certificate with an allowed key type")]
    minimum = {"RSA": policy["min_rsa_key_size"], "EC": policy["min_ec_key_size"]}.get(key_type)
    if minimum and (size or 0) < minimum:
        return [violation("weak_key", f"{key_type} key of {size} bits is below the minimum of {minimum}; "
                                      f"issue a new certificate with a key of at least {minimum} bits")]
    return []


def hash_violations(info: dict, policy: dict) -> list:
    """weak_signature_hash for a hash outside the allowed list (EdDSA signatures have no separate hash)."""
    algorithm = info.get("signature_hash")
    if algorithm is None or algorithm in policy["allowed_signature_hashes"]:
        return []
    allowed = ", ".join(policy["allowed_signature_hashes"])
    return [violation("weak_signature_hash", f"signed with {algorithm}, which is not allowed (allowed: {allowed}); "
                                             "have the certificate reissued with SHA-256 or better")]


def _validity_now(info: dict, now) -> tuple:
    """(days_remaining, expired, not_yet_valid): recomputed at now when given, else as described."""
    if now is None:
        return info["days_remaining"], info["expired"], info["not_yet_valid"]
    now = resolve_now(now)
    not_after, not_before = parse_iso(info["not_after"]), parse_iso(info["not_before"])
    return days_between(now, not_after), now > not_after, now < not_before


def validity_violations(info: dict, policy: dict, now=None) -> list:
    """expired, not_yet_valid, and too_little_validity when fewer than min_days_remaining days are left."""
    days, expired, not_yet_valid = _validity_now(info, now)
    found = []
    if expired:
        found.append(violation("expired", f"the certificate expired on {info['not_after']}; replace it now"))
    elif days < policy["min_days_remaining"]:
        found.append(violation("too_little_validity", f"{days} days of validity left, fewer than the required {policy['min_days_remaining']}; renew it"))
    if not_yet_valid:
        found.append(violation("not_yet_valid", f"the certificate is not valid before {info['not_before']}; check the issuing CA's clock or wait"))
    return found


def private_key_violations(info: dict, policy: dict) -> list:
    """no_private_key when the policy requires the key and the file has none (or a key that does not match)."""
    if not policy["require_private_key"]:
        return []
    if not info.get("has_private_key"):
        return [violation("no_private_key", "no private key was found with the certificate; pass the PFX that holds its key")]
    if info.get("private_key_matches") is False:
        return [violation("no_private_key", "the private key in the file does not belong to the certificate; export the certificate with its own key")]
    return []


def _eku_oids(info: dict) -> set:
    return {entry["oid"] for entry in info.get("extended_key_usages") or []}


def usage_violations(info: dict, policy: dict, purpose: str | None) -> list:
    """missing_key_usage / missing_eku for the policy's required usages and the purpose's."""
    needs = PURPOSES.get(purpose, {"any_key_usage": [], "extended_key_usages": []})
    usages, ekus = set(info.get("key_usage") or []), _eku_oids(info)
    found = [violation("missing_key_usage", f"key usage {name} is required but not set; reissue the certificate with it")
             for name in policy["required_key_usages"] if name not in usages]
    if needs["any_key_usage"] and not usages.intersection(needs["any_key_usage"]):
        wanted = " or ".join(needs["any_key_usage"])
        found.append(violation("missing_key_usage", f"a {purpose} certificate needs the {wanted} key usage; reissue it from a template that sets it"))
    for oid in [eku_oid(name) for name in policy["required_extended_key_usages"]] + needs["extended_key_usages"]:
        if oid not in ekus and ANY_EXTENDED_KEY_USAGE not in ekus:
            found.append(violation("missing_eku", f"extended key usage {eku_name(oid)} ({oid}) is required but missing; reissue the certificate with it"))
    return found


def check_certificate(info: dict, policy: dict | None = None, purpose: str | None = None, now=None) -> list:
    """Every violation of the policy (defaults overridden by policy) and the purpose, as {code, reason}."""
    if purpose is not None and purpose not in PURPOSES:
        raise CertopsError(f"unknown purpose '{purpose}': use one of {', '.join(sorted(PURPOSES))}")
    rules = effective_policy(policy)
    return (
        key_violations(info, rules) + hash_violations(info, rules) + validity_violations(info, rules, now)
        + private_key_violations(info, rules) + usage_violations(info, rules, purpose)
    )
