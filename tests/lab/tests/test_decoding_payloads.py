# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stdin layouts: 2.19+ bootstrap + exec manifest, 2.16-2.18 exec_wrapper + manifest, put_file."""
from __future__ import annotations

import base64
import json

import pytest

from certops_lab.contracts import ExecRequest, InternalAction
from certops_lab.decoding import DecodeError, SourceIndex, decode_exec
from certops_lab.decoding.sources import resolve_invoked_name

MODULE_SOURCE = b"#!powershell\n#AnsibleRequires -CSharpUtil Ansible.Basic\n$module = [Ansible.Basic.AnsibleModule]::Create($args, @{})\n"
COMPLEX_ARGS = {"path": "C:\\x", "state": "present", "_ansible_check_mode": True, "_ansible_diff": True,
                "_ansible_no_log": False, "_ansible_verbosity": 2, "_ansible_version": "2.19.14",
                "_ansible_module_name": "ansible.windows.win_file", "_ansible_tmpdir": None}
BOOTSTRAP = {"name": "exec_wrapper", "script": "exec wrapper text", "params": {"MinOSVersion": None, "TempPath": "%TEMP%"}}
ANY_LINE = ExecRequest("host1", "PowerShell", "-NoProfile -EncodedCommand " + base64.b64encode("wrapper".encode("utf-16-le")).decode())


def module_action(script: str, complex_args) -> dict:
    variables = [{"Name": "complex_args", "Value": complex_args, "Scope": "Global"}]
    return {"name": "module_wrapper.ps1", "params": {"Script": script, "Variables": variables}, "secure_params": {}}


def manifest_stdin(actions: list, extra: bytes = None) -> bytes:
    manifest = {"scripts": {}, "actions": actions, "signed_hashlist": []}
    stdin = f"{json.dumps(BOOTSTRAP)}\n\0\0\0\0\n{json.dumps(manifest)}".encode()
    return stdin + (b"\n\0\0\0\0\n" + extra if extra is not None else b"")


def request_with(stdin: bytes) -> ExecRequest:
    return ExecRequest(ANY_LINE.host, ANY_LINE.command, ANY_LINE.arguments, stdin)


def legacy_stdin(manifest: dict) -> bytes:
    return b"begin {\n    $DebugPreference = 'Continue'\n}\nend { }\n" + b"\0\0\0\0" + json.dumps(manifest).encode()


def legacy_manifest(source: bytes = MODULE_SOURCE, **extra) -> dict:
    return {"module_entry": base64.b64encode(source).decode(), "module_args": dict(COMPLEX_ARGS), "actions": ["module_powershell_wrapper"],
            **extra}


WIN_FILE = "ansible_collections.ansible.windows.plugins.modules.win_file.ps1"


def test_manifest_module_call_takes_fqcn_from_the_last_action_script():
    call = decode_exec(request_with(manifest_stdin([module_action(WIN_FILE, COMPLEX_ARGS)])))
    expected = ("ansible.windows.win_file", "manifest", "ansible.windows.win_file", "2.19.14")
    assert (call.name, call.layout, call.invoked_name, call.ansible_version) == expected


def test_manifest_module_call_drops_internal_keys_from_args():
    call = decode_exec(request_with(manifest_stdin([module_action(WIN_FILE, COMPLEX_ARGS)])))
    assert call.args == {"path": "C:\\x", "state": "present"}


def test_manifest_module_call_reads_check_mode_diff_and_no_log():
    call = decode_exec(request_with(manifest_stdin([module_action(WIN_FILE, dict(COMPLEX_ARGS, _ansible_no_log=True))])))
    assert (call.check_mode, call.diff, call.no_log) == (True, True, True)


def test_manifest_become_keeps_user_and_flags_but_never_the_password():
    become = {"name": "become_wrapper.ps1", "params": {"BecomeUser": "svc_ops", "LogonType": "Batch"},
              "secure_params": {"BecomePassword": "s3cret-pass"}}
    call = decode_exec(request_with(manifest_stdin([become, module_action(WIN_FILE, COMPLEX_ARGS)])))
    assert call.become == {"user": "svc_ops", "flags": {"LogonType": "Batch"}}
    assert "s3cret-pass" not in repr(call)


def test_manifest_async_jid_is_read_from_the_async_wrapper():
    async_action = {"name": "async_wrapper.ps1", "params": {"AsyncDir": "~\\.ansible_async", "AsyncJid": "j123", "StartupTimeout": 5}}
    watchdog = {"name": "async_watchdog.ps1", "params": {"Timeout": 60}}
    call = decode_exec(request_with(manifest_stdin([async_action, watchdog, module_action(WIN_FILE, COMPLEX_ARGS)])))
    assert call.async_jid == "j123"


@pytest.mark.parametrize("script, params, expected", [
    ("powershell_mkdtemp.ps1", {"Directory": "%TEMP%", "Name": "ansible-tmp-1"}, "mkdtemp"),
    ("powershell_expand_user.ps1", {"Path": "~\\x"}, "expand_user"),
    ("winrm_fetch_file.ps1", {"Path": "C:\\f.txt", "BufferSize": 524288, "Offset": 0}, "fetch_file"),
])
def test_manifest_internal_actions_are_named_by_their_script(script, params, expected):
    decoded = decode_exec(request_with(manifest_stdin([{"name": script, "params": params}])))
    assert decoded == InternalAction(expected, params)


def test_manifest_put_file_decodes_the_base64_lines_after_the_nul_line():
    data = base64.b64encode(b"hello ") + b"\r\n" + base64.b64encode(b"world") + b"\r\n"
    decoded = decode_exec(request_with(manifest_stdin([{"name": "winrm_put_file.ps1", "params": {"Path": "C:\\t\\source"}}], data)))
    assert decoded == InternalAction("put_file", {"Path": "C:\\t\\source"}, b"hello world")


def test_manifest_put_file_of_an_empty_file_has_no_data():
    decoded = decode_exec(request_with(manifest_stdin([{"name": "winrm_put_file.ps1", "params": {"Path": "C:\\e"}}], b"")))
    assert decoded.data == b""


def test_unknown_manifest_action_is_a_decode_error_naming_it():
    with pytest.raises(DecodeError, match="unknown exec manifest action 'new_wrapper.ps1'"):
        decode_exec(request_with(manifest_stdin([{"name": "new_wrapper.ps1", "params": {}}])))


def test_unknown_module_script_is_a_decode_error():
    with pytest.raises(DecodeError, match="unknown module script"):
        decode_exec(request_with(manifest_stdin([module_action("somewhere/else.ps1", COMPLEX_ARGS)])))


def test_script_style_manifest_without_complex_args_is_a_decode_error():
    action = {"name": "module_wrapper.ps1", "params": {"Script": WIN_FILE, "Environment": {}}}
    with pytest.raises(DecodeError, match="carries no complex_args"):
        decode_exec(request_with(manifest_stdin([action])))


def test_bootstrap_without_nul_line_is_a_decode_error():
    with pytest.raises(DecodeError, match="without a NUL line"):
        decode_exec(request_with(json.dumps(BOOTSTRAP).encode() + b"\n{}"))


def test_legacy_module_is_identified_by_its_source_hash():
    index = SourceIndex()
    index.add("example.tools.win_thing", MODULE_SOURCE)
    call = decode_exec(request_with(legacy_stdin(legacy_manifest())), index)
    assert (call.name, call.layout, call.args) == ("example.tools.win_thing", "legacy", {"path": "C:\\x", "state": "present"})


def test_legacy_module_falls_back_to_the_windows_rewrite_of_the_invoked_name():
    manifest = legacy_manifest()
    manifest["module_args"]["_ansible_module_name"] = "ansible.legacy.stat"
    assert decode_exec(request_with(legacy_stdin(manifest)), SourceIndex()).name == "ansible.windows.win_stat"


def test_legacy_become_keeps_user_and_flags_but_never_the_password():
    manifest = legacy_manifest(actions=["become_wrapper", "module_powershell_wrapper"], become_user="svc_ops",
                               become_password="s3cret-pass", become_flags="logon_type=batch")
    call = decode_exec(request_with(legacy_stdin(manifest)), SourceIndex())
    assert call.become == {"user": "svc_ops", "flags": "logon_type=batch"} and "s3cret-pass" not in repr(call)


def test_legacy_async_jid_is_read_from_the_manifest():
    call = decode_exec(request_with(legacy_stdin(legacy_manifest(async_jid="j42"))), SourceIndex())
    assert call.async_jid == "j42"


def test_legacy_manifest_without_module_entry_is_a_decode_error():
    with pytest.raises(DecodeError, match="without module_entry"):
        decode_exec(request_with(legacy_stdin({"module_args": {}})), SourceIndex())


def test_legacy_module_without_known_source_or_name_is_a_decode_error():
    manifest = legacy_manifest()
    del manifest["module_args"]["_ansible_module_name"]
    with pytest.raises(DecodeError, match="unknown module"):
        decode_exec(request_with(legacy_stdin(manifest)), SourceIndex())


LEGACY_PUT_FILE = """
    begin {
        $path = 'C:\\t\\ansible-tmp-1\\source'
        $fd = [System.IO.File]::Create($path)
    }
    process {
       $bytes = [System.Convert]::FromBase64String($input)
    }
    end {
        Write-Output "{""sha1"":""$hash""}"
    }
"""


def test_legacy_put_file_decodes_path_and_data():
    line = "-NoProfile -EncodedCommand " + base64.b64encode(LEGACY_PUT_FILE.encode("utf-16-le")).decode()
    stdin = base64.b64encode(b"\x00\x01binary") + b"\r\n"
    assert decode_exec(ExecRequest("host1", "PowerShell", line, stdin)) == InternalAction(
        "put_file", {"Path": "C:\\t\\ansible-tmp-1\\source"}, b"\x00\x01binary")


def test_unknown_stdin_layout_is_a_decode_error_naming_what_was_seen():
    with pytest.raises(DecodeError, match="unknown payload layout: stdin starts with 'MZ"):
        decode_exec(request_with(b"MZ\x90\x00 not a payload"))


def test_source_index_scans_collection_modules(tmp_path):
    modules = tmp_path / "ansible_collections" / "example" / "tools" / "plugins" / "modules"
    modules.mkdir(parents=True)
    (modules / "win_thing.ps1").write_bytes(MODULE_SOURCE)
    assert SourceIndex.scan([str(tmp_path)], include_core=False).lookup(MODULE_SOURCE) == "example.tools.win_thing"


def test_source_index_first_collection_path_wins(tmp_path):
    for root in ("first", "second"):
        modules = tmp_path / root / "ansible_collections" / root / "c" / "plugins" / "modules"
        modules.mkdir(parents=True)
        (modules / "m.ps1").write_bytes(MODULE_SOURCE)
    index = SourceIndex.scan([str(tmp_path / "first"), str(tmp_path / "second" / "ansible_collections")], include_core=False)
    assert index.lookup(MODULE_SOURCE) == "first.c.m"


@pytest.mark.parametrize("invoked, expected", [
    ("stat", "ansible.windows.win_stat"), ("ansible.legacy.file", "ansible.windows.win_file"),
    ("ansible.builtin.copy", "ansible.windows.win_copy"), ("ping", "ansible.windows.win_ping"),
    ("ansible.legacy.setup", "ansible.windows.setup"), ("async_status", "ansible.windows.async_status"),
    ("win_certificate_store", "ansible.windows.win_certificate_store"),
    ("community.windows.win_xml", "community.windows.win_xml"),
])
def test_resolve_invoked_name_applies_windows_rewrites(invoked, expected):
    assert resolve_invoked_name(invoked) == expected
