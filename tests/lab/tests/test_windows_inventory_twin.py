# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The windows_certificate_inventory twin returns what the real script returns, from the host's stores."""
from __future__ import annotations

import base64
import hashlib
import json
import pathlib

import pytest

from certops_lab.contracts import CallContext, CmdletError
from certops_lab.state import Estate
from certops_lab.twins.scripts import lookup, marker_of, supports_should_process

from issued_certificates import issued
from script_shapes import script_property_names

SCRIPT_PATH = pathlib.Path(__file__).resolve().parents[3] / "plugins" / "plugin_utils" / "scripts" / "windows_certificate_inventory.ps1"
OUTPUT_TYPES = {"StoreLocation": str, "StoreName": str, "Thumbprint": str, "Certificate": str, "HasPrivateKey": bool,
                "KeyProvider": (str, type(None)), "CngExportPolicy": (int, type(None)), "CspExportable": (bool, type(None)),
                # The inventory does not ask for the key readers (include/certificate_facts.ps1 without -Readers).
                "KeyReaders": type(None)}


def add(host, location, store, subject, key_type="rsa", with_key=True, **settings):
    certificate, key = issued(subject, key_type)
    return host.store(location, store).add(certificate, key=key if with_key else None, **settings)


@pytest.fixture(name="estate")
def fixture_estate():
    estate = Estate()
    host = estate.add_host("win01")
    add(host, "LocalMachine", "My", "CN=rsa-exportable", exportable=True)
    add(host, "LocalMachine", "My", "CN=ec-locked", key_type="ecdsa", exportable=False)
    add(host, "LocalMachine", "Root", "CN=root-no-key", with_key=False)
    add(host, "CurrentUser", "My", "CN=user-key", key_storage="user", owner="LAB\\someone-else")
    host.store("LocalMachine", "CA")  # exists, empty
    return estate


def run(estate, parameters, host="win01", **ctx):
    return lookup("windows_certificate_inventory")(estate, estate.hosts[host], parameters, CallContext(host=host, **ctx))


def test_twin_is_registered_under_the_script_marker():
    script = SCRIPT_PATH.read_text(encoding="utf-8")
    assert marker_of(script) == "windows_certificate_inventory"
    assert supports_should_process(script)
    assert lookup(marker_of(script)) is not None


def test_twin_output_has_the_script_property_names_and_types(estate):
    outcome = run(estate, {})
    assert outcome.output
    for item in outcome.output:
        assert set(item) == script_property_names("windows_certificate_inventory", ("certificate_facts",)) == set(OUTPUT_TYPES)
        for key, expected in OUTPUT_TYPES.items():
            assert isinstance(item[key], expected), key
    json.dumps(outcome.output)


def test_twin_defaults_to_local_machine_my_root_ca(estate):
    outcome = run(estate, {})
    assert [(item["StoreLocation"], item["StoreName"]) for item in outcome.output] == [
        ("LocalMachine", "My"), ("LocalMachine", "My"), ("LocalMachine", "Root")]
    assert outcome.changed is False


def test_twin_returns_der_whose_sha1_is_the_thumbprint(estate):
    for item in run(estate, {}).output:
        assert hashlib.sha1(base64.b64decode(item["Certificate"])).hexdigest().upper() == item["Thumbprint"]


@pytest.mark.parametrize("subject, expected", [
    ("CN=rsa-exportable", {"HasPrivateKey": True, "KeyProvider": "CSP", "CspExportable": True, "CngExportPolicy": None}),
    ("CN=ec-locked", {"HasPrivateKey": True, "KeyProvider": "CNG", "CngExportPolicy": 0, "CspExportable": None}),
    ("CN=root-no-key", {"HasPrivateKey": False, "KeyProvider": None, "CngExportPolicy": None, "CspExportable": None}),
])
def test_twin_reports_key_presence_provider_and_exportability(estate, subject, expected):
    thumbprint = next(entry.thumbprint for entry in estate.hosts["win01"].all_certificates() if entry.certificate.subject.rfc4514_string() == subject)
    item = next(item for item in run(estate, {"StoreName": ["My", "Root"]}).output if item["Thumbprint"] == thumbprint)
    assert {key: item[key] for key in expected} == expected


def test_twin_reports_exportable_cng_key_with_export_flags():
    estate = Estate()
    entry = add(estate.add_host("win02"), "LocalMachine", "My", "CN=ec-open", key_type="ecdsa", exportable=True)
    item = run(estate, {"StoreName": "My"}, host="win02").output[0]
    assert item["Thumbprint"] == entry.thumbprint
    assert item["CngExportPolicy"] == 3


def test_twin_filters_by_thumbprint_case_insensitively(estate):
    wanted = next(iter(estate.hosts["win01"].store("LocalMachine", "My").entries))
    outcome = run(estate, {"StoreName": ["My", "Root", "CA"], "Thumbprint": wanted.lower()})
    assert [item["Thumbprint"] for item in outcome.output] == [wanted]


def test_twin_warns_and_omits_key_facts_when_the_key_does_not_open(estate):
    outcome = run(estate, {"StoreLocation": ["CurrentUser"], "StoreName": ["My"]})
    item = outcome.output[0]
    assert item["HasPrivateKey"] is True and item["KeyProvider"] is None
    assert outcome.warnings == [f"private key of {item['Thumbprint']} could not be opened: Keyset does not exist"]


def test_twin_opens_a_user_key_for_its_owner(estate):
    outcome = run(estate, {"StoreLocation": "CurrentUser", "StoreName": "My"}, become_user="LAB\\someone-else")
    assert outcome.output[0]["KeyProvider"] == "CSP" and not outcome.warnings


def test_twin_echoes_store_names_as_passed(estate):
    outcome = run(estate, {"StoreLocation": ["localmachine"], "StoreName": ["my"]})
    assert {(item["StoreLocation"], item["StoreName"]) for item in outcome.output} == {("localmachine", "my")}


@pytest.mark.parametrize("parameters, message", [
    ({"StoreName": ["NoSuchStore"]}, 'Exception calling "Open" with "1" argument(s): "The system cannot find the file specified.'),
    ({"StoreLocation": ["Machine"]}, "Cannot validate argument on parameter 'StoreLocation'. The argument \"Machine\" does not belong"),
    ({"StoreName": []}, "Cannot validate argument on parameter 'StoreName'. The argument is null, empty"),
])
def test_twin_fails_where_the_script_fails(estate, parameters, message):
    with pytest.raises(CmdletError) as raised:
        run(estate, parameters)
    assert str(raised.value).startswith(message)


def test_twin_changes_nothing_in_check_mode_or_out_of_it(estate):
    before = json.dumps(estate.to_dict(), sort_keys=True)
    run(estate, {"StoreName": ["My", "Root", "CA", "TrustedPeople"]}, check_mode=True)
    run(estate, {"StoreLocation": ["LocalMachine", "CurrentUser"], "StoreName": ["WebHosting"]})
    assert json.dumps(estate.to_dict(), sort_keys=True) == before


def test_twin_never_returns_private_key_material(estate):
    text = json.dumps(run(estate, {"StoreLocation": ["LocalMachine", "CurrentUser"]}).output)
    assert "PRIVATE KEY" not in text
    for entry in estate.hosts["win01"].all_certificates():
        if entry.private_key:
            body = "".join(entry.private_key.splitlines()[1:-1])
            assert body[:64] not in text
