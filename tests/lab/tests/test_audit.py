# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit log: JSON lines, masking of every kind of secret."""
from __future__ import annotations

import json
import os

import pytest

from certops_lab.audit import MASK, AuditLog, AuditRecord, mask_arguments
from certops_lab.contracts import ModuleCall
from certops_lab.pfxfiles import PFX_PASSWORD, write_pfx
from certops_lab.runtime import EstateRuntime
from certops_lab.state import Estate

SECRET = "Pfx-S3cret-Value!"


@pytest.mark.parametrize("key", ["password", "Password", "pfx_password", "PfxPassword", "client_secret", "private_key",
                                 "PrivateKeyPem".replace("Pem", "") + "_private_key", "api_token", "TOKEN"])
def test_mask_arguments_masks_secret_looking_keys_at_any_depth(key):
    masked = mask_arguments("ansible.windows.win_powershell", {"parameters": {key: SECRET, "Path": "C:\\x"}, key: SECRET})
    assert masked[key] == MASK and masked["parameters"][key] == MASK
    assert masked["parameters"]["Path"] == "C:\\x"


def test_mask_arguments_masks_win_certificate_store_password_declared_no_log():
    masked = mask_arguments("ansible.windows.win_certificate_store", {"path": "C:\\t\\a.pfx", "password": SECRET, "state": "present"})
    assert masked == {"path": "C:\\t\\a.pfx", "password": MASK, "state": "present"}


def test_mask_arguments_masks_everything_under_sensitive_parameters():
    masked = mask_arguments("ansible.windows.win_powershell",
                            {"sensitive_parameters": [{"name": "Cred", "username": "LAB\\svc", "value": SECRET}]})
    assert masked["sensitive_parameters"] == MASK


def test_mask_arguments_masks_every_argument_when_no_log_is_set():
    masked = mask_arguments("ansible.windows.win_copy", {"dest": "C:\\x", "content": SECRET}, no_log=True)
    assert masked == {"dest": MASK, "content": MASK}


def test_mask_arguments_replaces_the_script_text_with_a_summary():
    masked = mask_arguments("ansible.windows.win_powershell", {"script": f"# certops-script: x\n$p = '{SECRET}'"})
    assert SECRET not in masked["script"] and masked["script"].startswith("<script: ")


def test_audit_log_appends_json_lines_and_reloads_them(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(str(path))
    log.append(AuditRecord("h#1", "2026-01-01T00:00:00Z", "h", "ansible.windows.win_ping", None, {"data": "pong"}))
    log.append(AuditRecord("h#2", "2026-01-01T00:00:00Z", "h", "ansible.windows.win_ping", None, {}, failed=True, rc=1))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["call_id"] for line in lines] == ["h#1", "h#2"]
    assert AuditLog(str(path)).records()[1]["failed"] is True


def test_win_certificate_store_password_reaches_neither_audit_file_nor_state_file(tmp_path):
    estate = Estate()
    host = estate.add_host("win01")
    pfx = str(tmp_path / "import.pfx")
    thumbprint = write_pfx(pfx)
    host.files.mkdir("C:\\stage")
    host.files.write("C:\\stage\\import.pfx", open(pfx, "rb").read())
    lab = EstateRuntime(estate, str(tmp_path / "state"))
    os.makedirs(lab.state_dir)
    call = ModuleCall("ansible.windows.win_certificate_store", {"path": "C:\\stage\\import.pfx", "password": PFX_PASSWORD,
                                                                "store_location": "LocalMachine", "store_name": "My"})
    result = json.loads(lab.host("win01").run_module_call(call).stdout)
    assert result["changed"] is True and thumbprint in result["thumbprints"]
    lab.save()
    for name in ("audit.jsonl", "state.json"):
        assert PFX_PASSWORD.encode() not in (tmp_path / "state" / name).read_bytes()
    assert PFX_PASSWORD not in json.dumps(result)
    assert lab.audit.records()[0]["parameters"]["password"] == MASK
