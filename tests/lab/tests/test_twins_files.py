# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the win_copy (query/single/remote), win_file and win_stat twins."""
from __future__ import annotations

import hashlib

import pytest

from certops_lab import twins
from certops_lab.contracts import InternalAction
from twins_lab import new_host, run

COPY, FILE, STAT = "ansible.windows.win_copy", "ansible.windows.win_file", "ansible.windows.win_stat"
CONTENT = b"pfx bytes"
CHECKSUM = hashlib.sha1(CONTENT).hexdigest()


def _query(estate, host, dest_dir="C:\\Certs", name="web.pfx", checksum=CHECKSUM, **extra):
    files = [{"src": f"/controller/files/{name}", "dest": name, "checksum": checksum}]
    return run(estate, host, COPY, {"_copy_mode": "query", "dest": dest_dir, "files": files, "directories": [], **extra})


def _copy_from_controller(estate, host, dest="C:\\Certs\\web.pfx", content=CONTENT):
    """What win_copy's action plugin does for one changed file: mkdtemp, put_file, single, cleanup."""
    tmp = twins.run_internal(estate, host, InternalAction("mkdtemp", {"Directory": "%TEMP%", "Name": "ansible-tmp-1"}))
    tmp = tmp.stdout.decode().strip()
    twins.run_internal(estate, host, InternalAction("put_file", {"Path": f"{tmp}\\source"}, content))
    result = run(estate, host, COPY, {"_copy_mode": "single", "src": f"{tmp}\\source", "dest": dest,
                                      "_original_basename": "web.pfx"})
    twins.run_internal(estate, host, InternalAction("cleanup", {"Path": tmp, "Recurse": True}))
    return result


def test_win_copy_query_lists_missing_file():
    estate, host = new_host()
    assert _query(estate, host)["files"] == [{"src": "/controller/files/web.pfx", "dest": "web.pfx", "checksum": CHECKSUM}]


def test_win_copy_query_is_empty_when_checksum_matches():
    estate, host = new_host()
    host.files.write("C:\\certs\\WEB.pfx", CONTENT)
    assert _query(estate, host) == {"changed": False, "files": [], "directories": [], "symlinks": []}


def test_win_copy_query_lists_file_whose_checksum_differs():
    estate, host = new_host()
    host.files.write("C:\\Certs\\web.pfx", b"old")
    assert len(_query(estate, host)["files"]) == 1


def test_win_copy_query_with_force_false_keeps_existing_file():
    estate, host = new_host()
    host.files.write("C:\\Certs\\web.pfx", b"old")
    assert _query(estate, host, force=False)["files"] == []


def test_win_copy_query_accepts_forward_slashes_from_the_controller():
    estate, host = new_host()
    host.files.write("C:\\Certs\\web.pfx", CONTENT)
    assert _query(estate, host, dest_dir="C:/Certs")["files"] == []


def test_win_copy_query_fails_when_target_is_a_directory():
    estate, host = new_host()
    host.files.mkdir("C:\\Certs\\web.pfx\\web.pfx")
    assert "object at path is already a directory" in _query(estate, host)["msg"]


def test_win_copy_query_lists_missing_directories():
    estate, host = new_host()
    host.files.mkdir("C:\\Certs\\present")
    result = run(estate, host, COPY, {"_copy_mode": "query", "dest": "C:\\Certs", "files": [],
                                      "directories": [{"src": "/c/present", "dest": "present"}, {"src": "/c/new", "dest": "new"}]})
    assert result["directories"] == [{"src": "/c/new", "dest": "new"}]


def test_win_copy_single_copies_put_file_content_to_dest():
    estate, host = new_host()
    host.files.mkdir("C:\\Certs")
    assert _copy_from_controller(estate, host) == {"changed": True}
    assert host.files.read("C:\\Certs\\web.pfx") == CONTENT
    assert _query(estate, host)["files"] == []


def test_win_copy_single_into_existing_directory_uses_original_basename():
    estate, host = new_host()
    host.files.mkdir("C:\\Certs")
    _copy_from_controller(estate, host, dest="C:\\Certs")
    assert host.files.read("C:\\Certs\\web.pfx") == CONTENT


def test_win_copy_single_fails_when_destination_directory_is_missing():
    estate, host = new_host()
    host.files.write("C:\\tmp\\source", CONTENT)
    result = run(estate, host, COPY, {"_copy_mode": "single", "src": "C:\\tmp\\source", "dest": "C:\\None\\web.pfx"})
    assert result["msg"] == "Destination directory 'C:\\None' does not exist"


def test_win_copy_single_without_source_fails():
    estate, host = new_host()
    result = run(estate, host, COPY, {"_copy_mode": "single", "src": "C:\\tmp\\source", "dest": "C:\\x"})
    assert result["failed"] and result["msg"] == "Cannot copy src file: 'C:\\tmp\\source' as it does not exist"


def test_win_copy_single_backup_keeps_old_content():
    estate, host = new_host()
    host.files.write("C:\\Certs\\web.pfx", b"old")
    host.files.write("C:\\tmp\\source", CONTENT)
    result = run(estate, host, COPY, {"_copy_mode": "single", "src": "C:\\tmp\\source", "dest": "C:\\Certs\\web.pfx", "backup": True})
    assert host.files.read(result["backup_file"]) == b"old" and host.files.read("C:\\Certs\\web.pfx") == CONTENT


def test_win_copy_remote_copies_and_is_idempotent():
    estate, host = new_host()
    host.files.write("C:\\Source\\web.pfx", CONTENT)
    args = {"_copy_mode": "remote", "src": "C:\\Source\\web.pfx", "dest": "C:\\Certs\\"}
    first = run(estate, host, COPY, args)
    assert first["changed"] and first["dest"] == "C:\\Certs\\web.pfx" and first["checksum"] == CHECKSUM and first["size"] == len(CONTENT)
    assert run(estate, host, COPY, args)["changed"] is False


def test_win_copy_remote_check_mode_changes_nothing():
    estate, host = new_host()
    host.files.write("C:\\Source\\web.pfx", CONTENT)
    host.files.mkdir("C:\\Certs")
    before = estate.to_dict()
    assert run(estate, host, COPY, {"_copy_mode": "remote", "src": "C:\\Source\\web.pfx", "dest": "C:\\Certs"}, check=True)["changed"]
    assert estate.to_dict() == before


def test_win_copy_explode_is_refused_with_a_reason():
    estate, host = new_host()
    result = run(estate, host, COPY, {"_copy_mode": "explode", "src": "C:\\x.zip", "dest": "C:\\Certs"})
    assert result["failed"] and "copy one file per task" in result["msg"]


@pytest.mark.parametrize("state, changed", [("directory", True), ("absent", False), ("touch", True)])
def test_win_file_creates_and_reports(state, changed):
    estate, host = new_host()
    assert run(estate, host, FILE, {"path": "C:\\Work\\item", "state": state})["changed"] is changed
    assert host.files.exists("C:\\Work\\item") is (state != "absent")


def test_win_file_directory_second_run_is_unchanged():
    estate, host = new_host()
    run(estate, host, FILE, {"path": "C:\\Work", "state": "directory"})
    assert run(estate, host, FILE, {"path": "c:\\work", "state": "directory"})["changed"] is False


def test_win_file_absent_removes_tree_and_check_mode_keeps_it():
    estate, host = new_host()
    host.files.write("C:\\Work\\a\\b.txt", b"x")
    assert run(estate, host, FILE, {"path": "C:\\Work", "state": "absent"}, check=True)["changed"] is True
    assert host.files.exists("C:\\Work\\a\\b.txt")
    assert run(estate, host, FILE, {"path": "C:\\Work", "state": "absent"})["changed"] is True
    assert not host.files.exists("C:\\Work")


@pytest.mark.parametrize("setup_path, state, message", [
    (None, "file", "path C:\\Work\\f will not be created"),
    ("file", "directory", "path C:\\Work\\f is not a directory"),
    ("dir", "file", "path C:\\Work\\f is not a file"),
])
def test_win_file_refuses_wrong_kind(setup_path, state, message):
    estate, host = new_host()
    if setup_path == "file":
        host.files.write("C:\\Work\\f", b"")
    elif setup_path == "dir":
        host.files.mkdir("C:\\Work\\f")
    assert run(estate, host, FILE, {"path": "C:\\Work\\f", "state": state})["msg"] == message


def test_win_stat_reports_missing_path():
    estate, host = new_host()
    assert run(estate, host, STAT, {"path": "C:\\none"}) == {"changed": False, "stat": {"exists": False}}


def test_win_stat_checksums_file_for_fetch():
    estate, host = new_host()
    host.files.write("C:\\Reports\\inventory.json", b"{}", 1767225600.0)
    stat = run(estate, host, "ansible.legacy.stat", {"path": "C:\\Reports\\inventory.json", "get_checksum": True,
                                                     "checksum_algorithm": "sha1"})["stat"]
    assert stat["checksum"] == hashlib.sha1(b"{}").hexdigest() and stat["size"] == 2 and stat["isreg"]
    assert stat["extension"] == ".json" and stat["lastwritetime"] == 1767225600.0


def test_win_stat_of_directory_says_isdir():
    estate, host = new_host()
    stat = run(estate, host, STAT, {"path": host.temp_dir})["stat"]
    assert stat["isdir"] is True and "checksum" not in stat


@pytest.mark.parametrize("path", ["%TEMP%\\item", "$env:TEMP\\item", "%temp%\\ITEM"])
def test_path_options_expand_environment_variables(path):
    estate, host = new_host()
    run(estate, host, FILE, {"path": path, "state": "directory"})
    assert host.files.is_dir(f"{host.temp_dir}\\item")
    assert run(estate, host, STAT, {"path": path})["stat"]["isdir"] is True


def test_unknown_environment_variable_stays_as_written():
    estate, host = new_host()
    assert run(estate, host, STAT, {"path": "%NOPE%\\x"})["stat"] == {"exists": False}


@pytest.mark.parametrize("folder", ["C:\\Windows\\Temp", "C:\\ProgramData", "C:\\Program Files", "C:\\Users\\Public", "%APPDATA%",
                                    "%ProgramFiles(x86)%", "%LOCALAPPDATA%\\Temp"])
def test_a_new_host_has_the_standard_windows_folders(folder):
    estate, host = new_host()
    assert run(estate, host, STAT, {"path": folder})["stat"]["isdir"] is True


def test_a_users_own_win_copy_to_the_windows_temp_folder_works():
    """A user's generic playbook copies to C:\\Windows\\Temp; the lab must not answer that the directory does not exist."""
    estate, host = new_host()
    query = _query(estate, host, dest_dir="C:\\Windows\\Temp")
    assert not query.get("failed") and [item["dest"] for item in query["files"]] == ["web.pfx"]
    _copy_from_controller(estate, host, dest="C:\\Windows\\Temp\\web.pfx")
    assert host.files.is_file("C:\\Windows\\Temp\\web.pfx")


def test_the_env_facts_are_the_session_variables_windows_sets():
    estate, host = new_host()
    env = run(estate, host, "ansible.windows.setup", {"gather_subset": ["env"]})["ansible_facts"]["ansible_env"]
    assert env["ProgramData"] == "C:\\ProgramData" and env["TEMP"] == host.temp_dir and env["SystemRoot"] == "C:\\Windows"
    assert env["USERPROFILE"] == host.profile_dir and env["COMPUTERNAME"] == host.facts.hostname.upper()
