# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certificate_inventory action: read runner output replayed through a mocked _execute_module.

The replies have the shape certops.microsoft.win_read_script returns and the output objects the
shape windows_certificate_inventory.ps1 emits; the certificates are generated here, with a frozen
clock, so the parsed fields can be checked exactly.
"""
from __future__ import annotations

import base64
import datetime
import functools
import json
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.certops.microsoft.plugins.action import certificate_inventory
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.tests.unit.plugins.plugin_utils.action_harness import make_action, read_runner_reply, trust_as_template

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)
UTC = datetime.timezone.utc


@functools.lru_cache(maxsize=None)
def certificate(common_name: str, days_left: int = 200, key: str = "rsa2048", server_auth: bool = True) -> x509.Certificate:
    private_key = {"rsa2048": lambda: rsa.generate_private_key(65537, 2048), "rsa1024": lambda: rsa.generate_private_key(65537, 1024),
                   "ec": lambda: ec.generate_private_key(ec.SECP256R1())}[key]()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=30))
               .not_valid_after(NOW + datetime.timedelta(days=days_left))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
               .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True))
    if server_auth:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(private_key, hashes.SHA256())


def thumbprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def script_object(cert, location="LocalMachine", store="My", provider="CSP", exportable=True):
    """One output object as windows_certificate_inventory.ps1 emits it."""
    has_key = provider is not None
    return {"StoreLocation": location, "StoreName": store, "Thumbprint": thumbprint(cert),
            "Certificate": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
            "HasPrivateKey": has_key, "KeyProvider": provider,
            "CngExportPolicy": (3 if exportable else 0) if provider == "CNG" else None,
            "CspExportable": exportable if provider == "CSP" else None}


def run_action(monkeypatch, args, reply, check_mode=False, variables=None):
    """(task result, the _execute_module mock) of one run on a frozen clock, with ``variables`` in task_vars."""
    action = make_action(certificate_inventory.ActionModule, args, reply, check_mode, name="certops.microsoft.certificate_inventory")
    action._templar = Templar(loader=DataLoader(), variables=dict(variables or {}, certops_lab_days=12))
    monkeypatch.setattr(certificate_inventory, "utc_now", lambda: NOW)
    return action.run(task_vars={"inventory_hostname": "win01", **(variables or {})}), action._execute_module


def test_inventory_returns_every_certificate_with_its_store_facts(monkeypatch):
    web, root = certificate("web.lab.test"), certificate("Lab Root", days_left=3000)
    reply = read_runner_reply([script_object(web), script_object(root, store="Root", provider=None)])
    result = run_action(monkeypatch, {}, reply)[0]
    assert result["changed"] is False and "failed" not in result
    assert result["count"] == 2
    first, second = result["certificates"]
    assert first["thumbprint"] == thumbprint(web)
    assert first["subject"] == "CN=web.lab.test"
    assert first["dns_names"] == ["web.lab.test"]
    assert first["not_after"] == "2027-06-11T12:00:00Z"
    assert first["days_remaining"] == 200
    assert (first["store_location"], first["store_name"], first["has_private_key"], first["key_exportable"]) == ("LocalMachine", "My", True, True)
    assert (second["store_name"], second["has_private_key"], second["key_exportable"], second["key_provider"]) == ("Root", False, None, None)
    assert first["violations"] == [] and second["violations"] == []


def test_inventory_returns_no_transport_or_data_only_fields(monkeypatch):
    result = run_action(monkeypatch, {}, read_runner_reply([script_object(certificate("web.lab.test"))]))[0]
    entry = result["certificates"][0]
    for key in ("Certificate", "chain", "certificates", "private_key_matches", "source_format"):
        assert key not in entry
    assert "invocation" not in result and "output" not in result


@pytest.mark.parametrize("provider, exportable, cng_policy, expected", [
    ("CSP", True, None, True),
    ("CSP", False, None, False),
    ("CNG", None, 0x1, True),         # AllowExport
    ("CNG", None, 0x2, True),         # AllowPlaintextExport
    ("CNG", None, 0x3, True),
    ("CNG", None, 0x4, False),        # AllowArchiving alone does not let the key be exported
    ("CNG", None, 0, False),
    (None, None, None, None),          # no key, or a key the account cannot open
])
def test_key_exportable_reads_cng_policy_and_csp_flag(provider, exportable, cng_policy, expected):
    item = {"KeyProvider": provider, "CspExportable": exportable, "CngExportPolicy": cng_policy}
    assert certificate_inventory.key_exportable(item) is expected


def test_script_runs_through_the_read_runner_with_structured_parameters(monkeypatch):
    args = {"store_location": ["LocalMachine", "CurrentUser"], "store_names": ["My", "WebHosting"]}
    execute_module = run_action(monkeypatch, args, read_runner_reply())[1]
    call = execute_module.call_args.kwargs
    assert call["module_name"] == "certops.microsoft.win_read_script"
    assert call["module_args"]["script"].startswith("# certops-script: windows_certificate_inventory\n")
    assert "# certops-script: windows_certificate_inventory" in call["module_args"]["script"]
    assert call["module_args"]["parameters"] == {"StoreLocation": ["LocalMachine", "CurrentUser"], "StoreName": ["My", "WebHosting"]}
    assert "sensitive_parameters" not in call["module_args"]


def test_defaults_read_local_machine_my_root_and_ca(monkeypatch):
    execute_module = run_action(monkeypatch, {}, read_runner_reply())[1]
    assert execute_module.call_args.kwargs["module_args"]["parameters"] == {"StoreLocation": ["LocalMachine"], "StoreName": ["My", "Root", "CA"]}


@pytest.mark.parametrize("pasted", [
    "\u200e3b 8f 12 aa 90 4c 1e 77 62 0d 5a 91 c4 e0 33 8f 71 b2 c9 04",
    "3B:8F:12:AA:90:4C:1E:77:62:0D:5A:91:C4:E0:33:8F:71:B2:C9:04",
    "3b8f12aa904c1e77620d5a91c4e0338f71b2c904\u00a0",
])
def test_thumbprint_is_normalised_before_it_reaches_the_host(monkeypatch, pasted):
    execute_module = run_action(monkeypatch, {"thumbprint": pasted}, read_runner_reply())[1]
    assert execute_module.call_args.kwargs["module_args"]["parameters"]["Thumbprint"] == "3B8F12AA904C1E77620D5A91C4E0338F71B2C904"


@pytest.mark.parametrize("pasted, message", [
    ("3B8F12AA904C1E77620D5A91C4E0338F71B2C9O4", "character U+004F 'O' at position 39 is not a hexadecimal digit"),
    ("3B8F12AA904C1E77", "has 16 hex digits, expected 40"),
])
def test_malformed_thumbprint_fails_before_the_host_is_contacted(monkeypatch, pasted, message):
    result, execute_module = run_action(monkeypatch, {"thumbprint": pasted}, read_runner_reply())
    assert result["failed"] is True
    assert message in result["msg"]
    assert "Traceback" not in json.dumps(result)
    execute_module.assert_not_called()


def test_check_mode_runs_the_read_and_reports_no_change(monkeypatch):
    reply = read_runner_reply([script_object(certificate("web.lab.test"))])
    result, execute_module = run_action(monkeypatch, {}, reply, check_mode=True)
    assert result["changed"] is False
    assert result["count"] == 1
    execute_module.assert_called_once()


def test_action_declares_check_mode_support():
    assert certificate_inventory.ActionModule._supports_check_mode is True


def test_script_failure_becomes_one_clear_message(monkeypatch):
    message = 'the script failed: Exception calling "Open" with "1" argument(s): "The system cannot find the file specified.\r\n"'
    reply = read_runner_reply(failed=True, msg=message)
    result = run_action(monkeypatch, {"store_names": ["WebHostng"]}, reply)[0]
    assert result["failed"] is True
    assert result["msg"] == ('certops script windows_certificate_inventory failed on the target: the script failed: Exception calling "Open" '
                             'with "1" argument(s): "The system cannot find the file specified. "')
    assert "certificates" not in result


def test_script_warnings_are_passed_on(monkeypatch):
    warning = "private key of 3B8F12AA904C1E77620D5A91C4E0338F71B2C904 could not be opened: Keyset does not exist"
    result = run_action(monkeypatch, {}, read_runner_reply([script_object(certificate("web.lab.test"), provider=None)], warnings=[warning]))[0]
    assert result["warnings"] == [warning]


@pytest.mark.parametrize("args, message", [
    ({"store_location": ["Machine"]}, "value of store_location must be one or more of: LocalMachine, CurrentUser. Got no match for: Machine"),
    ({"purpose": "signing"}, "value of purpose must be one of: client_auth, server_auth, token_signing, got: signing"),
    # ansible-core 2.16 says "of type <class 'str'>", later versions "of type str".
    ({"min_days": "soon"}, "argument 'min_days' is of type "),
    ({"min_days": "soon"}, " and we were unable to convert to int"),
    ({"policy": {"min_rsa_bits": 4096}}, "unknown policy key 'min_rsa_bits'"),
    ({"store": "My"}, "unsupported option store. Supported parameters include"),
    ({"as_of": "next tuesday"}, "'next tuesday' is not an ISO 8601 date"),
])
def test_invalid_options_fail_with_one_clear_message(monkeypatch, args, message):
    result, execute_module = run_action(monkeypatch, args, read_runner_reply())
    assert result["failed"] is True
    assert message in result["msg"]
    execute_module.assert_not_called()


@pytest.mark.parametrize("args, cert_args, codes", [
    ({"min_days": 30}, {"days_left": 12}, ["too_little_validity"]),
    ({"min_days": 10}, {"days_left": 12}, []),
    ({"min_days": 30}, {"days_left": -1}, ["expired"]),
    ({"policy": {}}, {"key": "rsa1024"}, ["weak_key"]),
    ({"policy": {"allowed_signature_hashes": ["sha512"]}}, {}, ["weak_signature_hash"]),
    ({"purpose": "server_auth"}, {"server_auth": False}, ["missing_eku"]),
    ({"purpose": "server_auth"}, {}, []),
    ({"policy": {"require_private_key": True}}, {}, []),
])
def test_policy_violations_are_reported_per_certificate(monkeypatch, args, cert_args, codes):
    cert = certificate(f"policy-{sorted(cert_args.items())}", **cert_args)
    result = run_action(monkeypatch, args, read_runner_reply([script_object(cert)]))[0]
    assert [violation["code"] for violation in result["certificates"][0]["violations"]] == codes


def test_required_private_key_uses_the_store_fact_not_the_der(monkeypatch):
    cert = certificate("no-key.lab.test")
    result = run_action(monkeypatch, {"policy": {"require_private_key": True}}, read_runner_reply([script_object(cert, provider=None)]))[0]
    assert [violation["code"] for violation in result["certificates"][0]["violations"]] == ["no_private_key"]


def test_ec_certificate_with_cng_key_is_parsed(monkeypatch):
    cert = certificate("ec.lab.test", key="ec")
    result = run_action(monkeypatch, {}, read_runner_reply([script_object(cert, provider="CNG", exportable=False)]))[0]
    entry = result["certificates"][0]
    assert (entry["key_type"], entry["key_size"], entry["key_provider"], entry["key_exportable"]) == ("EC", 256, "CNG", False)


@pytest.mark.parametrize("item, message", [
    ({"StoreLocation": "LocalMachine", "StoreName": "My", "Thumbprint": "AB"}, "returned an object without a Certificate string"),
    ("a plain string", "returned an object without a Certificate string"),
    ({"Certificate": "not base64!", "Thumbprint": "AB"}, "returned a Certificate that is not base64 (thumbprint AB)"),
    ({"Certificate": base64.b64encode(b"\x30\x82\x01").decode(), "Thumbprint": "AB", "StoreLocation": "LocalMachine", "StoreName": "CA"},
     "certificate AB in LocalMachine\\CA could not be read: "),
])
def test_unreadable_host_output_fails_clearly(monkeypatch, item, message):
    result = run_action(monkeypatch, {}, read_runner_reply([item]))[0]
    assert result["failed"] is True
    assert message in result["msg"]
    assert "Traceback" not in json.dumps(result)


@pytest.mark.parametrize("as_of, days, codes", [
    ("2027-05-12", 30, []),
    ("2027-05-13T12:00:00Z", 29, ["too_little_validity"]),
    ("2027-06-12T00:00:00+02:00", -1, ["expired"]),
])
def test_as_of_computes_days_and_violations_at_that_instant(monkeypatch, as_of, days, codes):
    cert = certificate("as-of.lab.test")   # not_after 2027-06-11T12:00:00Z
    result = run_action(monkeypatch, {"as_of": as_of, "min_days": 30}, read_runner_reply([script_object(cert)]))[0]
    entry = result["certificates"][0]
    assert entry["days_remaining"] == days
    assert [violation["code"] for violation in entry["violations"]] == codes


def test_settings_from_variables_reads_the_playbook_variables(monkeypatch):
    variables = {"certops_store_locations": ["CurrentUser"], "certops_store_names": ["My"], "certops_min_days": 250}
    result, execute_module = run_action(monkeypatch, {"settings_from_variables": True}, read_runner_reply([script_object(certificate("web.lab.test"))]),
                                        variables=variables)
    assert execute_module.call_args.kwargs["module_args"]["parameters"] == {"StoreLocation": ["CurrentUser"], "StoreName": ["My"]}
    assert [violation["code"] for violation in result["certificates"][0]["violations"]] == ["too_little_validity"]


def test_settings_from_variables_defaults_min_days_to_30_and_the_stores_to_the_modules(monkeypatch):
    reply = read_runner_reply([script_object(certificate("soon.lab.test", days_left=20))])
    result, execute_module = run_action(monkeypatch, {"settings_from_variables": True}, reply)
    assert execute_module.call_args.kwargs["module_args"]["parameters"] == {"StoreLocation": ["LocalMachine"], "StoreName": ["My", "Root", "CA"]}
    assert [violation["code"] for violation in result["certificates"][0]["violations"]] == ["too_little_validity"]


def test_settings_from_variables_leaves_what_the_task_sets(monkeypatch):
    args = {"settings_from_variables": True, "store_names": ["Root"], "min_days": 10}
    reply = read_runner_reply([script_object(certificate("soon.lab.test", days_left=20))])
    result, execute_module = run_action(monkeypatch, args, reply, variables={"certops_store_names": ["My"], "certops_min_days": 300})
    assert execute_module.call_args.kwargs["module_args"]["parameters"]["StoreName"] == ["Root"]
    assert result["certificates"][0]["violations"] == []


def test_settings_from_variables_renders_a_variable_that_holds_a_template(monkeypatch):
    variables = {"certops_min_days": trust_as_template("{{ certops_lab_days + 10 }}")}
    reply = read_runner_reply([script_object(certificate("soon.lab.test", days_left=20))])
    result = run_action(monkeypatch, {"settings_from_variables": True}, reply, variables=variables)[0]
    assert [violation["code"] for violation in result["certificates"][0]["violations"]] == ["too_little_validity"]
    assert "the required 22;" in result["certificates"][0]["violations"][0]["reason"]


def test_without_settings_from_variables_the_variables_are_ignored(monkeypatch):
    reply = read_runner_reply([script_object(certificate("soon.lab.test", days_left=20))])
    result, execute_module = run_action(monkeypatch, {}, reply, variables={"certops_store_names": ["My"], "certops_min_days": 300})
    assert execute_module.call_args.kwargs["module_args"]["parameters"]["StoreName"] == ["My", "Root", "CA"]
    assert result["certificates"][0]["violations"] == []


def test_a_bad_variable_is_refused_naming_the_option_before_the_host_is_contacted(monkeypatch):
    result, execute_module = run_action(monkeypatch, {"settings_from_variables": True}, read_runner_reply(), variables={"certops_min_days": "soon"})
    assert result["failed"] is True and "min_days" in result["msg"]
    execute_module.assert_not_called()


def test_warm_up_certificate_parses_as_a_host_certificate():
    item = {"Certificate": certificate_inventory.WARM_UP_CERTIFICATE, "StoreLocation": "LocalMachine", "StoreName": "My", "Thumbprint": ""}
    entry = certificate_inventory.certificate_entry(item, NOW, certificate_inventory.policy_request({"min_days": 30}))
    assert (entry["subject"], entry["self_signed"], entry["violations"]) == ("CN=warm-up.certops.invalid", True, [])


def test_warm_up_never_fails_the_import(monkeypatch):
    def unavailable(*_args, **_kwargs):
        raise CertopsError("the Python library 'cryptography' is required on the controller")

    monkeypatch.setattr(certificate_inventory, "certificate_entry", unavailable)
    certificate_inventory.warm_up()
