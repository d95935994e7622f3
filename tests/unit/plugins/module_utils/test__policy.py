# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_certificate: every violation with its reason, defaults, overrides and purposes."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import inspect_data
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._policy import DEFAULT_POLICY, check_certificate, effective_policy
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

NOW = factory.NOW
CA = factory.make_ca()
SERVER_AUTH, CLIENT_AUTH, ANY_EKU = "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "2.5.29.37.0"


def info_of(with_key: bool = False, **fields) -> dict:
    issued = factory.make_cert(CA, **fields)
    data = factory.make_pfx(issued, password=None, encryption="none") if with_key else factory.der(issued.cert)
    return inspect_data(data, None, NOW)


def codes(violations: list) -> list:
    return sorted(entry["code"] for entry in violations)


# (id, certificate fields, policy, purpose, expected codes)
CASES = [
    ("healthy-rsa", {}, None, None, []),
    ("healthy-ec", {"key_type": "EC", "key_size": 256}, None, None, []),
    ("healthy-ed25519", {"key_type": "Ed25519"}, None, None, []),
    ("rsa-1024", {"key_size": 1024}, None, None, ["weak_key"]),
    ("ec-224", {"key_type": "EC", "key_size": 224}, None, None, ["weak_key"]),
    ("dsa-not-allowed", {"key_type": "DSA", "key_size": 1024}, None, None, ["weak_key"]),
    ("sha1", {"hash_name": "sha1"}, None, None, ["weak_signature_hash"]),
    ("md5", {"hash_name": "md5"}, None, None, ["weak_signature_hash"]),
    ("expired", {"days": -3, "not_before_days": -400}, None, None, ["expired"]),
    ("ten-days-left", {"days": 10}, None, None, ["too_little_validity"]),
    ("thirty-days-left-is-enough", {"days": 30}, None, None, []),
    ("not-yet-valid", {"not_before_days": 2}, None, None, ["not_yet_valid"]),
    ("custom-min-days", {"days": 45}, {"min_days_remaining": 60}, None, ["too_little_validity"]),
    ("rsa-3072-required", {}, {"min_rsa_key_size": 3072}, None, ["weak_key"]),
    ("sha1-allowed-by-policy", {"hash_name": "sha1"}, {"allowed_signature_hashes": ["sha1", "sha256"]}, None, []),
    ("private-key-required-missing", {}, {"require_private_key": True}, None, ["no_private_key"]),
    ("required-ku-missing", {"key_usage": ("keyEncipherment",)}, {"required_key_usages": ["digitalSignature"]}, None, ["missing_key_usage"]),
    ("required-eku-by-name", {}, {"required_extended_key_usages": ["serverAuth"]}, None, ["missing_eku"]),
    ("required-eku-present", {"ekus": (SERVER_AUTH,)}, {"required_extended_key_usages": [SERVER_AUTH]}, None, []),
    ("token-signing-ok", {"key_usage": ("digitalSignature",)}, None, "token_signing", []),
    ("token-signing-without-ds", {"key_usage": ("keyEncipherment",)}, None, "token_signing", ["missing_key_usage"]),
    ("token-signing-no-ku-extension", {"key_usage": ()}, None, "token_signing", ["missing_key_usage"]),
    ("server-auth-ok", {"ekus": (SERVER_AUTH,)}, None, "server_auth", []),
    ("server-auth-ke-only", {"ekus": (SERVER_AUTH,), "key_usage": ("keyEncipherment",)}, None, "server_auth", []),
    ("server-auth-any-eku", {"ekus": (ANY_EKU,)}, None, "server_auth", []),
    ("server-auth-missing-eku", {"ekus": (CLIENT_AUTH,)}, None, "server_auth", ["missing_eku"]),
    ("server-auth-missing-both", {"ekus": (CLIENT_AUTH,), "key_usage": ("keyCertSign",)}, None, "server_auth", ["missing_eku", "missing_key_usage"]),
    ("client-auth-ok", {"ekus": (CLIENT_AUTH,)}, None, "client_auth", []),
    ("client-auth-missing", {}, None, "client_auth", ["missing_eku"]),
    ("everything-wrong-at-once", {"key_size": 1024, "hash_name": "sha1", "days": -1, "not_before_days": -400, "ekus": (CLIENT_AUTH,),
                                  "key_usage": ("keyCertSign",)},
     {"require_private_key": True}, "server_auth", ["expired", "missing_eku", "missing_key_usage", "no_private_key", "weak_key", "weak_signature_hash"]),
]


@pytest.mark.parametrize("fields, policy, purpose, expected", [pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_check_certificate_returns_every_violation(fields, policy, purpose, expected):
    assert codes(check_certificate(info_of(**fields), policy, purpose)) == expected


def test_check_certificate_reasons_name_problem_and_fix():
    violations = check_certificate(info_of(key_size=1024, hash_name="sha1", days=10))
    reasons = {entry["code"]: entry["reason"] for entry in violations}
    assert reasons == {
        "weak_key": "RSA key of 1024 bits is below the minimum of 2048; issue a new certificate with a key of at least 2048 bits",
        "weak_signature_hash": "signed with sha1, which is not allowed (allowed: sha256, sha384, sha512); "
                               "have the certificate reissued with SHA-256 or better",
        "too_little_validity": "10 days of validity left, fewer than the required 30; renew it",
    }


def test_check_certificate_with_private_key_satisfies_the_requirement():
    assert check_certificate(info_of(with_key=True), {"require_private_key": True}) == []


def test_check_certificate_flags_a_key_that_does_not_match():
    info = dict(info_of(), has_private_key=True, private_key_matches=False)
    assert codes(check_certificate(info, {"require_private_key": True})) == ["no_private_key"]


@pytest.mark.parametrize("days_later, expected", [(0, []), (340, ["too_little_validity"]), (366, ["expired"])])
def test_check_certificate_recomputes_validity_at_the_injected_clock(days_later, expected):
    info = info_of(days=365)
    assert codes(check_certificate(info, now=NOW + datetime.timedelta(days=days_later))) == expected


def test_check_certificate_does_not_change_the_defaults():
    check_certificate(info_of(), {"allowed_key_types": ["RSA"], "min_rsa_key_size": 4096})
    assert DEFAULT_POLICY["allowed_key_types"] == ["RSA", "EC", "Ed25519", "Ed448"] and DEFAULT_POLICY["min_rsa_key_size"] == 2048


@pytest.mark.parametrize("policy, purpose, message", [
    pytest.param({"min_key_size": 2048}, None, "unknown policy key 'min_key_size': valid keys are allowed_key_types", id="unknown-key"),
    pytest.param({"min_rsa_key_size": "2048 bits"}, None, "policy key 'min_rsa_key_size' must be a int, got str", id="text-for-number"),
    pytest.param({"require_private_key": "perhaps"}, None, "policy key 'require_private_key' must be a bool, got str", id="text-for-bool"),
    pytest.param({"min_days_remaining": True}, None, "policy key 'min_days_remaining' must be a int, got bool", id="bool-for-int"),
    pytest.param({"allowed_signature_hashes": {"sha256": 1}}, None, "must be a list, got dict", id="dict-for-list"),
    pytest.param(None, "code_signing", "unknown purpose 'code_signing': use one of client_auth, server_auth, token_signing", id="unknown-purpose"),
])
def test_check_certificate_rejects_a_bad_policy(policy, purpose, message):
    """Only values that cannot be read as the key's type; see the conversion test below."""
    with pytest.raises(CertopsError) as caught:
        check_certificate(info_of(), policy, purpose)
    assert message in str(caught.value)


@pytest.mark.parametrize("policy, key, expected", [
    pytest.param({"min_days_remaining": "30"}, "min_days_remaining", 30, id="survey-number"),
    pytest.param({"require_private_key": "yes"}, "require_private_key", True, id="survey-bool"),
    pytest.param({"allowed_signature_hashes": "sha256,sha384"}, "allowed_signature_hashes", ["sha256", "sha384"], id="comma-list"),
])
def test_effective_policy_converts_strings_as_module_options_are(policy, key, expected):
    assert effective_policy(policy)[key] == expected
