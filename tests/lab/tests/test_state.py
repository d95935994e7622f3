# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the estate state model: certificate stores, file system, services, JSON round trip."""
from __future__ import annotations

import datetime
import json

import pytest

from certops_lab.certstore import canonical_store_name
from certops_lab.filesystem import FileSystem, FileSystemError, normalise, parent_of
from certops_lab.state import Estate, product_codec
from twins_lab import NOW, der_of, key_of, leaf_certificate, new_host, thumbprint


def _round_trip(estate: Estate) -> Estate:
    return Estate.from_dict(json.loads(json.dumps(estate.to_dict())))


def test_store_add_get_remove_by_thumbprint_in_any_case():
    _estate, host = new_host()
    certificate = leaf_certificate("web")
    entry = host.store("LocalMachine", "My").add(certificate, key=key_of("web"), exportable=True)
    assert entry.thumbprint == thumbprint(certificate)
    assert host.store("localmachine", "my").get(entry.thumbprint.lower()) is entry
    assert entry.has_private_key and entry.exportable
    assert host.store("LocalMachine", "My").remove(entry.thumbprint) is entry
    assert host.store("LocalMachine", "My").get(entry.thumbprint) is None


def test_store_rejects_unknown_location():
    _estate, host = new_host()
    with pytest.raises(ValueError, match="LocalMachine, CurrentUser"):
        host.store("Machine", "My")


@pytest.mark.parametrize("name, expected", [("my", "My"), ("ROOT", "Root"), ("ca", "CA"), ("Remote Desktop", "Remote Desktop")])
def test_store_names_are_case_insensitive_with_usual_spelling(name, expected):
    assert canonical_store_name(name) == expected


def test_adding_certificate_without_key_keeps_the_key_already_held():
    _estate, host = new_host()
    store = host.store("LocalMachine", "My")
    store.add(leaf_certificate("web"), key=key_of("web"), exportable=True, key_readers=["LAB\\svc"])
    entry = store.add(der_of(leaf_certificate("web")))
    assert entry.has_private_key and entry.exportable and entry.key_readers == ["LAB\\svc"]


@pytest.mark.parametrize("storage, owner, account, readable", [
    ("machine", "", "NT AUTHORITY\\SYSTEM", True),
    ("machine", "", "LAB\\svc-wfm", False),
    ("machine", "LAB\\svc-wfm", "svc-wfm", True),
    ("user", "ansible", "ansible", True),
    ("user", "ansible", "NT AUTHORITY\\SYSTEM", False),
])
def test_key_readers_follow_key_storage(storage, owner, account, readable):
    _estate, host = new_host()
    entry = host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"), key_storage=storage, owner=owner)
    assert entry.key_readable_by(account) is readable


def test_grant_key_read_adds_account_once():
    _estate, host = new_host()
    entry = host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"))
    assert entry.grant_key_read("LAB\\svc") is True
    assert entry.grant_key_read("lab\\SVC") is False
    assert entry.key_readable_by("svc")


def test_certificate_without_key_is_readable_by_nobody():
    _estate, host = new_host()
    entry = host.store("LocalMachine", "Root").add(leaf_certificate("web"), key_readers=["Everyone"])
    assert not entry.key_readable_by("anyone")


def test_find_certificate_lists_every_store_holding_it():
    _estate, host = new_host()
    for name in ("My", "Root"):
        host.store("LocalMachine", name).add(leaf_certificate("web"))
    found = host.find_certificate(thumbprint(leaf_certificate("web")).lower())
    assert sorted(store.name for store, _entry in found) == ["My", "Root"]
    assert len(list(host.all_certificates())) == 2


@pytest.mark.parametrize("path, expected", [
    ("c:/Temp//x\\", "c:\\Temp\\x"), ("C:", "C:\\"), ("C:\\", "C:\\"), ("C:\\Temp\\ansible-tmp-1\\.", "C:\\Temp\\ansible-tmp-1"),
    ("C:\\Temp\\a\\..\\b", "C:\\Temp\\b"), ("C:\\..", "C:\\"), ("\\\\server\\share\\x", "\\\\server\\share\\x"),
])
def test_paths_normalise_like_windows(path, expected):
    assert normalise(path) == expected


def test_parent_of_drive_root_is_none():
    assert parent_of("C:\\") is None
    assert parent_of("C:\\Temp") == "C:\\"


def test_file_system_is_case_insensitive_and_case_preserving():
    files = FileSystem()
    files.write("C:\\Temp\\Cert.PFX", b"data")
    assert files.read("c:/temp/cert.pfx") == b"data"
    assert files.get("C:\\TEMP\\CERT.pfx").path == "C:\\Temp\\Cert.PFX"
    assert files.is_dir("c:\\temp") and files.is_dir("C:\\")


def test_file_system_remove_takes_the_whole_tree():
    files = FileSystem()
    files.write("C:\\Temp\\a\\b.txt", b"1")
    files.write("C:\\Temp\\ab.txt", b"2")
    assert files.remove("C:\\Temp\\A")
    assert not files.exists("C:\\Temp\\a\\b.txt") and files.exists("C:\\Temp\\ab.txt")
    assert files.remove("C:\\Temp\\a") is False


def test_file_system_refuses_a_directory_as_file():
    files = FileSystem()
    files.mkdir("C:\\Temp\\dir")
    with pytest.raises(FileSystemError, match="denied"):
        files.write("C:\\Temp\\dir", b"x")
    with pytest.raises(FileSystemError, match="does not exist"):
        files.read("C:\\Temp\\missing")


def test_host_starts_with_its_temp_directory():
    _estate, host = new_host(user="svc-ansible")
    assert host.temp_dir == "C:\\Users\\svc-ansible\\AppData\\Local\\Temp"
    assert host.files.is_dir(host.temp_dir)


def test_estate_round_trips_through_json():
    estate, host = new_host(roles=["wfm"])
    host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"), exportable=True,
                                         key_readers=["LAB\\svc"], friendly_name="web")
    host.store("CurrentUser", "Root").add(leaf_certificate("root"))
    host.files.write("C:\\Temp\\x.bin", b"\x00\x01", 12.5)
    host.add_service("WorkflowServiceBackend", start_mode="delayed", restarts=2)
    estate.products["notes"] = {"free": ["json"]}
    again = _round_trip(estate)
    assert again.to_dict() == estate.to_dict()
    entry = again.hosts["web01"].store("LocalMachine", "My").get(thumbprint(leaf_certificate("web")))
    assert entry.key_readable_by("svc") and entry.friendly_name == "web" and entry.exportable
    assert again.hosts["web01"].service("workflowservicebackend").restarts == 2
    assert again.clock == NOW


def test_private_keys_are_stored_only_under_private_key_names():
    estate, host = new_host()
    entry = host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"))
    stored = estate.to_dict()["hosts"]["web01"]["stores"]["LocalMachine\\My"]["entries"][0]
    assert stored["private_key"] == entry.private_key
    assert all("PRIVATE KEY" not in json.dumps(value) for key, value in stored.items() if key != "private_key")


class _Counter:
    def __init__(self, value: int):
        self.value = value


def test_product_codec_serialises_registered_products():
    product_codec(("counter_test",), lambda products: {"counter_test": products["counter_test"].value},
                  lambda data: {"counter_test": _Counter(data["counter_test"])})
    estate, _host = new_host()
    estate.products["counter_test"] = _Counter(7)
    again = _round_trip(estate)
    assert isinstance(again.products["counter_test"], _Counter) and again.products["counter_test"].value == 7


def test_estate_clock_is_settable_in_utc():
    estate = Estate()
    assert estate.set_clock("2026-03-01T12:00:00+02:00") == datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.timezone.utc)


def test_opening_a_store_does_not_change_state():
    estate, host = new_host()
    before = estate.to_dict()
    host.store("LocalMachine", "WebHosting")
    assert estate.to_dict() == before


def test_certificate_without_key_has_no_key_facts():
    estate, host = new_host()
    host.store("LocalMachine", "CA").add(leaf_certificate("web"), exportable=True)
    stored = estate.to_dict()["hosts"]["web01"]["stores"]["LocalMachine\\CA"]["entries"][0]
    assert (stored["has_private_key"], stored["exportable"], stored["key_readers"]) == (False, False, [])
