# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the win_certificate_store and win_certificate_info twins."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from certops_lab.twins.certfiles import pem_text
from twins_lab import PFX_PASSWORD, ca_certificate, der_of, key_of, leaf_certificate, new_host, pfx_of, run, thumbprint

STORE = "ansible.windows.win_certificate_store"
INFO = "ansible.windows.win_certificate_info"
PFX_PATH = "C:\\Users\\ansible\\AppData\\Local\\Temp\\web.pfx"


def _host_with_pfx(password=PFX_PASSWORD, chain=False, **settings):
    estate, host = new_host(**settings)
    host.files.write(PFX_PATH, pfx_of("web", password, chain))
    return estate, host


def _import(estate, host, check=False, **args):
    return run(estate, host, STORE, {"path": PFX_PATH, "password": PFX_PASSWORD, **args}, check=check)


def test_pfx_import_adds_certificate_with_key():
    estate, host = _host_with_pfx()
    result = _import(estate, host)
    entry = host.store("LocalMachine", "My").get(thumbprint(leaf_certificate("web")))
    assert result == {"changed": True, "thumbprints": [entry.thumbprint]}
    assert entry.has_private_key and entry.exportable


def test_pfx_import_second_run_is_unchanged():
    estate, host = _host_with_pfx()
    _import(estate, host)
    before = estate.to_dict()
    assert _import(estate, host)["changed"] is False
    assert estate.to_dict() == before


def test_pfx_import_check_mode_changes_nothing():
    estate, host = _host_with_pfx()
    before = estate.to_dict()
    assert _import(estate, host, check=True)["changed"] is True
    assert estate.to_dict() == before


@pytest.mark.parametrize("password", ["wrong", None, ""])
def test_wrong_pfx_password_fails_as_windows_says(password):
    estate, host = _host_with_pfx()
    result = run(estate, host, STORE, {"path": PFX_PATH, "password": password})
    assert result["failed"] is True
    assert result["msg"] == "Failed to load cert from file: The specified network password is not correct."
    assert len(host.store("LocalMachine", "My")) == 0


def test_pfx_without_password_imports_without_password():
    estate, host = _host_with_pfx(password=None)
    assert run(estate, host, STORE, {"path": PFX_PATH})["changed"] is True


def test_pfx_password_never_appears_in_results():
    estate, host = _host_with_pfx()
    results = [_import(estate, host), run(estate, host, STORE, {"path": PFX_PATH, "password": "wrong"}),
               run(estate, host, INFO, {})]
    assert PFX_PASSWORD not in json.dumps(results)
    assert "PRIVATE KEY" not in json.dumps(results)


@pytest.mark.parametrize("key_exportable", [True, False])
def test_key_exportable_flag_is_recorded(key_exportable):
    estate, host = _host_with_pfx()
    _import(estate, host, key_exportable=key_exportable)
    assert host.store("LocalMachine", "My").get(thumbprint(leaf_certificate("web"))).exportable is key_exportable


@pytest.mark.parametrize("key_storage, readable_by, not_readable_by", [
    ("machine", "NT AUTHORITY\\SYSTEM", "LAB\\svc-web"),
    ("default", "ansible", "NT AUTHORITY\\SYSTEM"),
    ("user", "ansible", "NT AUTHORITY\\SYSTEM"),
])
def test_key_storage_decides_who_reads_the_key(key_storage, readable_by, not_readable_by):
    estate, host = _host_with_pfx()
    _import(estate, host, key_storage=key_storage)
    entry = host.store("LocalMachine", "My").get(thumbprint(leaf_certificate("web")))
    assert entry.key_storage == ("machine" if key_storage == "machine" else "user")
    assert entry.key_readable_by(readable_by) and not entry.key_readable_by(not_readable_by)


def test_pfx_chain_lands_in_the_same_store():
    estate, host = _host_with_pfx(chain=True)
    result = _import(estate, host, store_name="Root", store_location="CurrentUser")
    store = host.store("CurrentUser", "Root")
    assert sorted(result["thumbprints"]) == sorted([thumbprint(leaf_certificate("web")), thumbprint(ca_certificate())])
    assert not store.get(thumbprint(ca_certificate())).has_private_key


def test_pfx_reimports_when_store_lacks_the_key():
    estate, host = _host_with_pfx()
    host.store("LocalMachine", "My").add(leaf_certificate("web"))
    assert _import(estate, host)["changed"] is True
    assert host.store("LocalMachine", "My").get(thumbprint(leaf_certificate("web"))).has_private_key


@pytest.mark.parametrize("file_type", ["der", "pem"])
def test_der_and_pem_files_import_without_key(file_type):
    estate, host = new_host()
    content = der_of(leaf_certificate("web")) if file_type == "der" else pem_text(der_of(leaf_certificate("web")))
    host.files.write("C:\\Temp\\web.cer", content)
    result = run(estate, host, STORE, {"path": "C:\\Temp\\web.cer", "store_name": "Root", "password": "ignored"})
    assert result["thumbprints"] == [thumbprint(leaf_certificate("web"))]
    assert not host.store("LocalMachine", "Root").get(result["thumbprints"][0]).has_private_key


def test_garbage_file_fails_to_load():
    estate, host = new_host()
    host.files.write("C:\\Temp\\junk.cer", b"not a certificate")
    result = run(estate, host, STORE, {"path": "C:\\Temp\\junk.cer"})
    assert result["msg"] == "Failed to load cert from file: Cannot find the requested object."


def test_missing_file_fails_naming_the_path():
    estate, host = new_host()
    result = run(estate, host, STORE, {"path": "C:\\Temp\\none.pfx"})
    assert result["failed"] and result["msg"] == "File at 'C:\\Temp\\none.pfx' either does not exist or is not a file"


@pytest.mark.parametrize("args, message", [
    ({"state": "present"}, "state is present but all of the following are missing: path"),
    ({"state": "absent"}, "state is absent but any of the following are missing: path, thumbprint"),
    ({"state": "exported", "path": "C:\\x.cer"}, "state is exported but all of the following are missing: thumbprint"),
    ({"path": "C:\\x", "store_location": "Machine"}, "value of store_location must be one of: CurrentUser, LocalMachine. Got no match for: Machine"),
    ({"path": "C:\\x", "store_name": "NoSuchStore"}, "unable to find store 'NoSuchStore'"),
    ({"path": "C:\\x", "file_type": "p7b"}, "value of file_type must be one of: der, pem, pkcs12. Got no match for: p7b"),
])
def test_invalid_arguments_fail_clearly(args, message):
    estate, host = new_host()
    assert message in run(estate, host, STORE, args)["msg"]


def test_absent_by_thumbprint_removes_and_is_idempotent():
    estate, host = new_host()
    wanted = host.store("LocalMachine", "My").add(leaf_certificate("web")).thumbprint
    assert run(estate, host, STORE, {"state": "absent", "thumbprint": wanted}, check=True)["changed"] is True
    assert host.store("LocalMachine", "My").get(wanted) is not None
    assert run(estate, host, STORE, {"state": "absent", "thumbprint": wanted}) == {"changed": True, "thumbprints": [wanted]}
    assert run(estate, host, STORE, {"state": "absent", "thumbprint": wanted})["changed"] is False


def test_absent_by_path_reads_thumbprints_from_the_file():
    estate, host = _host_with_pfx(chain=True)
    _import(estate, host)
    result = run(estate, host, STORE, {"state": "absent", "path": PFX_PATH, "password": PFX_PASSWORD})
    assert result["changed"] and len(host.store("LocalMachine", "My")) == 0


@pytest.mark.parametrize("file_type", ["der", "pem"])
def test_export_writes_file_once(file_type):
    estate, host = new_host()
    wanted = host.store("LocalMachine", "My").add(leaf_certificate("web")).thumbprint
    args = {"state": "exported", "thumbprint": wanted, "path": "C:\\Export\\web.cer", "file_type": file_type}
    host.files.mkdir("C:\\Export")
    assert run(estate, host, STORE, args, check=True)["changed"] and not host.files.exists("C:\\Export\\web.cer")
    assert run(estate, host, STORE, args)["changed"] is True
    assert run(estate, host, STORE, args)["changed"] is False
    expected = der_of(leaf_certificate("web")) if file_type == "der" else pem_text(der_of(leaf_certificate("web")))
    assert host.files.read("C:\\Export\\web.cer") == expected


def test_export_pkcs12_of_exportable_key_round_trips():
    estate, host = new_host()
    wanted = host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"), exportable=True).thumbprint
    result = run(estate, host, STORE, {"state": "exported", "thumbprint": wanted, "path": "C:\\out.pfx", "file_type": "pkcs12",
                                       "password": PFX_PASSWORD})
    assert result["changed"] and result["key_exportable"] is True and result["key_exported"] is False
    bundle = pkcs12.load_pkcs12(host.files.read("C:\\out.pfx"), PFX_PASSWORD.encode())
    assert bundle.key is not None and thumbprint(bundle.cert.certificate) == wanted


def test_export_pkcs12_of_non_exportable_key_fails():
    estate, host = new_host()
    wanted = host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"), exportable=False).thumbprint
    result = run(estate, host, STORE, {"state": "exported", "thumbprint": wanted, "path": "C:\\out.pfx", "file_type": "pkcs12"})
    assert result["msg"] == "Failed to export certificate as bytes: Key not valid for use in specified state."
    assert not host.files.exists("C:\\out.pfx")


def test_export_of_missing_certificate_fails():
    estate, host = new_host()
    result = run(estate, host, STORE, {"state": "exported", "thumbprint": "AB" * 20, "path": "C:\\out.cer"})
    assert result["msg"] == "Found 0 certs when only expecting 1"


def test_export_to_a_directory_fails():
    estate, host = new_host()
    result = run(estate, host, STORE, {"state": "exported", "thumbprint": "AB" * 20, "path": host.temp_dir})
    assert result["msg"] == f"Cannot export cert to path '{host.temp_dir}' as it is a directory"


def _info(estate, host, **args):
    return run(estate, host, INFO, args)


def test_certificate_info_describes_certificate_like_dotnet():
    estate, host = new_host()
    host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"), friendly_name="Web")
    info = _info(estate, host)["certificates"][0]
    certificate = leaf_certificate("web")
    assert info["subject"] == "CN=web.lab.test" and info["issuer"] == "O=Lab, CN=Lab Root CA"
    assert info["issued_to"] == "web.lab.test" and info["issued_by"] == "Lab Root CA"
    assert info["dns_names"] == ["web.lab.test", "web.lab.test", "alt-web.lab.test"]
    assert info["valid_from"] == certificate.not_valid_before_utc.timestamp() and info["valid_to_iso8601"] == "2026-04-01T00:00:00Z"
    assert info["key_usages"] == ["KeyEncipherment", "DigitalSignature"] and info["intended_purposes"] == ["Server Authentication"]
    assert info["is_ca"] is False and info["has_private_key"] is True and info["friendly_name"] == "Web"
    assert info["signature_algorithm"] == "sha256ECDSA" and info["version"] == 3
    assert int(info["serial_number"], 16) == certificate.serial_number


def test_certificate_info_formats_extensions_like_windows():
    estate, host = new_host()
    host.store("LocalMachine", "Root").add(ca_certificate())
    extensions = {item["field"]: item for item in _info(estate, host, store_name="Root")["certificates"][0]["extensions"]}
    assert extensions["Basic Constraints"] == {"critical": True, "field": "Basic Constraints",
                                               "value": "Subject Type=CA, Path Length Constraint=0"}
    assert len(extensions["Subject Key Identifier"]["value"].split(" ")) == 20


def test_certificate_info_filters_by_thumbprint_in_any_case():
    estate, host = new_host()
    for label in ("web", "api"):
        host.store("LocalMachine", "My").add(leaf_certificate(label))
    wanted = thumbprint(leaf_certificate("api"))
    result = _info(estate, host, thumbprint=wanted.lower())
    assert result["exists"] is True and [item["thumbprint"] for item in result["certificates"]] == [wanted]


def test_certificate_info_sorts_by_thumbprint_and_reports_absence():
    estate, host = new_host()
    for label in ("web", "api", "db"):
        host.store("LocalMachine", "My").add(leaf_certificate(label))
    listed = [item["thumbprint"] for item in _info(estate, host)["certificates"]]
    assert listed == sorted(listed) and len(listed) == 3
    assert _info(estate, host, thumbprint="00" * 20) == {"changed": False, "exists": False, "certificates": []}


def test_certificate_info_is_read_only_in_check_mode():
    estate, host = new_host()
    host.store("LocalMachine", "My").add(leaf_certificate("web"))
    before = estate.to_dict()
    assert run(estate, host, INFO, {}, check=True)["exists"] is True
    assert estate.to_dict() == before


def test_certificate_path_expands_environment_variables():
    estate, host = _host_with_pfx()
    result = run(estate, host, STORE, {"path": "%TEMP%\\web.pfx", "password": PFX_PASSWORD})
    assert result["changed"] is True


def test_certificate_info_refuses_unknown_location():
    estate, host = new_host()
    assert _info(estate, host, store_location="Machine")["msg"] == \
        "value of store_location must be one of: LocalMachine, CurrentUser. Got no match for: Machine"
