# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The windows_certificate_key_access twin returns what the real script returns, over the host store's key ACL."""
from __future__ import annotations

import json
import pathlib

import pytest

from certops_lab.contracts import CallContext, CmdletError
from certops_lab.state import Estate
from certops_lab.twins.powershell import win_powershell
from certops_lab.twins.scripts import lookup, marker_of, supports_should_process

from issued_certificates import issued
from script_shapes import script_property_names

SCRIPT_PATH = pathlib.Path(__file__).resolve().parents[3] / "plugins" / "plugin_utils" / "scripts" / "windows_certificate_key_access.ps1"
OUTPUT_TYPES = {"StoreLocation": str, "Thumbprint": str, "KeyProvider": str, "KeyPath": str, "Readers": list}
SERVICE = "LAB\\svc-wfm"


def add(host, subject, key_type="rsa", with_key=True, **settings):
    certificate, key = issued(subject, key_type)
    return host.store("LocalMachine", "My").add(certificate, key=key if with_key else None, **settings).thumbprint


@pytest.fixture(name="estate")
def fixture_estate():
    estate = Estate()
    estate.add_host("wfm01")
    return estate


def run(estate, parameters, check_mode=False):
    return lookup("windows_certificate_key_access")(estate, estate.hosts["wfm01"], parameters, CallContext(host="wfm01", check_mode=check_mode))


def entry(estate, thumbprint):
    return estate.hosts["wfm01"].store("LocalMachine", "My").get(thumbprint)


def test_twin_is_registered_under_the_script_marker():
    script = SCRIPT_PATH.read_text(encoding="utf-8")
    assert marker_of(script) == "windows_certificate_key_access"
    assert supports_should_process(script)
    assert lookup("windows_certificate_key_access") is not None


def test_twin_output_has_the_script_property_names_and_types(estate):
    thumbprint = add(estate.hosts["wfm01"], "CN=wfm-outbound")
    output = run(estate, {"Thumbprint": thumbprint}).output
    assert len(output) == 1 and set(output[0]) == script_property_names("windows_certificate_key_access") == set(OUTPUT_TYPES)
    for key, expected in OUTPUT_TYPES.items():
        assert isinstance(output[0][key], expected), key
    json.dumps(output)


@pytest.mark.parametrize("key_type, provider, folder", [("rsa", "CSP", "\\Microsoft\\Crypto\\RSA\\MachineKeys\\"),
                                                        ("ecdsa", "CNG", "\\Microsoft\\Crypto\\Keys\\")])
def test_read_reports_the_key_file_and_its_readers(estate, key_type, provider, folder):
    thumbprint = add(estate.hosts["wfm01"], f"CN=read-{key_type}", key_type=key_type)
    outcome = run(estate, {"Thumbprint": thumbprint})
    assert outcome.changed is False
    item = outcome.output[0]
    assert (item["KeyProvider"], item["Readers"]) == (provider, ["NT AUTHORITY\\SYSTEM", "BUILTIN\\Administrators"])
    assert item["KeyPath"].startswith("C:\\ProgramData" + folder)


def test_grant_adds_the_accounts_to_the_key_acl(estate):
    thumbprint = add(estate.hosts["wfm01"], "CN=grant")
    outcome = run(estate, {"Thumbprint": thumbprint, "Account": [SERVICE]})
    assert outcome.changed is True and outcome.output[0]["Readers"][-1] == SERVICE
    assert entry(estate, thumbprint).key_readable_by(SERVICE)


def test_grant_in_check_mode_changes_nothing(estate):
    thumbprint = add(estate.hosts["wfm01"], "CN=check")
    outcome = run(estate, {"Thumbprint": thumbprint, "Account": [SERVICE]}, check_mode=True)
    assert outcome.changed is False and SERVICE not in outcome.output[0]["Readers"]
    assert not entry(estate, thumbprint).key_readable_by(SERVICE)


def test_a_single_account_string_binds_as_a_one_element_array(estate):
    thumbprint = add(estate.hosts["wfm01"], "CN=scalar")
    assert run(estate, {"Thumbprint": thumbprint, "Account": SERVICE}).output[0]["Readers"][-1] == SERVICE


@pytest.mark.parametrize("setup, parameters, message", [
    (None, {"Thumbprint": "AB" * 20}, "The certificate with thumbprint 'ABABABABABABABABABABABABABABABABABABABAB' was not found in Cert:\\LocalMachine\\My."),
    ({"with_key": False}, {}, "in Cert:\\LocalMachine\\My has no private key."),
    ({"key_storage": "user", "owner": "LAB\\admin"}, {}, "Cannot find path 'C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\"),
    (None, {"Thumbprint": "ab; rm"}, "Cannot validate argument on parameter 'Thumbprint'."),
    ({}, {"StoreLocation": "CurrentUser"}, "Cannot validate argument on parameter 'StoreLocation'."),
])
def test_twin_fails_where_the_script_fails(estate, setup, parameters, message):
    label = "-".join(f"{key}.{value}" for key, value in sorted((setup or {}).items())).replace("\\", ".")
    thumbprint = add(estate.hosts["wfm01"], f"CN=fail-{label or 'plain'}", **setup) if setup is not None else None
    with pytest.raises(CmdletError) as raised:
        run(estate, {"Thumbprint": thumbprint, **parameters})
    assert message in str(raised.value)


def test_through_win_powershell_a_failure_is_an_error_record(estate):
    args = {"script": SCRIPT_PATH.read_text(encoding="utf-8"), "parameters": {"Thumbprint": "CD" * 20}}
    result = win_powershell(estate, estate.hosts["wfm01"], args, CallContext(host="wfm01"))
    assert result["failed"] is True and "was not found in Cert:\\LocalMachine\\My" in result["error"][0]["exception"]["message"]
