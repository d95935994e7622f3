# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certificate_info module: main() run with real arguments, its JSON result read back from stdout."""
from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.certops.microsoft.plugins.module_utils import _time
from ansible_collections.certops.microsoft.plugins.modules import certificate_info
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

CA = factory.make_ca()
LEAF = factory.make_cert(CA, common_name="adfs.contoso.test", days=200, key_usage=("digitalSignature",))
WEAK = factory.make_cert(CA, common_name="old.contoso.test", key_size=1024, hash_name="sha1", days=10, slot="weak")
PASSWORD = "Pfx-Passw0rd-7d1c"
try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 reads the arguments from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def run_module(args: dict, capsys) -> dict:
    """Run certificate_info.main() with args as Ansible would pass them, at the certificates' clock (certfactory.NOW,
    so that a 10-day certificate is not expired on a later day); the parsed JSON result."""
    with patch_module_args(args), mock.patch.object(_time, "utc_now", lambda: factory.NOW), pytest.raises(SystemExit):
        certificate_info.main()
    return json.loads(capsys.readouterr().out)


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_certificate_info_reads_a_pfx_with_chain(tmp_path, capsys):
    path = write(tmp_path, "adfs signing (2026) ä.pfx", factory.make_pfx(LEAF, (CA.cert,), password=PASSWORD))
    result = run_module({"path": path, "password": PASSWORD}, capsys)
    assert result["changed"] is False and "failed" not in result
    assert result["subject"] == "O=Contoso,CN=adfs.contoso.test" and result["source_format"] == "pkcs12"
    assert (result["has_private_key"], result["private_key_matches"]) == (True, True)
    assert [cert["is_ca"] for cert in result["certificates"]] == [False, True] and len(result["chain"]) == 1
    assert "violations" not in result


def test_certificate_info_reads_slurp_content(capsys):
    content = base64.b64encode(factory.pem(LEAF.cert, CA.cert)).decode()
    result = run_module({"content": content}, capsys)
    assert result["thumbprint"] == run_module({"content": factory.pem(LEAF.cert).decode()}, capsys)["thumbprint"]
    assert (result["subject"], len(result["certificates"])) == ("O=Contoso,CN=adfs.contoso.test", 2)


def test_certificate_info_reports_every_policy_violation(tmp_path, capsys):
    path = write(tmp_path, "old.cer", factory.der(WEAK.cert))
    result = run_module({"path": path, "purpose": "server_auth", "policy": {"require_private_key": True}}, capsys)
    assert sorted(entry["code"] for entry in result["violations"]) == [
        "missing_eku", "no_private_key", "too_little_validity", "weak_key", "weak_signature_hash"]


def test_certificate_info_empty_policy_adds_an_empty_violation_list(tmp_path, capsys):
    result = run_module({"path": write(tmp_path, "ok.cer", factory.der(LEAF.cert)), "policy": {}}, capsys)
    assert result["violations"] == []


def test_certificate_info_warns_about_an_encrypted_pem_key_without_password(tmp_path, capsys):
    path = write(tmp_path, "bundle.pem", factory.pem(LEAF.cert) + factory.key_pem(LEAF.key, b"key-secret"))
    # Where the warning ends up depends on whether controller code is loaded in this process (ansible-core 2.19+),
    # so check the call rather than the result's `warnings`.
    with mock.patch.object(basic.AnsibleModule, "warn", autospec=True) as warn:
        result = run_module({"path": path}, capsys)
    assert result["has_private_key"] is False and len(result["load_warnings"]) == 1
    assert [call.args[1] for call in warn.call_args_list] == result["load_warnings"]


def test_certificate_info_runs_in_check_mode(tmp_path, capsys):
    result = run_module({"path": write(tmp_path, "ok.cer", factory.der(LEAF.cert)), "_ansible_check_mode": True}, capsys)
    assert result["changed"] is False and result["thumbprint"]


def _error_inputs(tmp_path) -> dict:
    pfx = factory.make_pfx(LEAF, password=PASSWORD)
    return {
        "wrong-password": ({"path": write(tmp_path, "a.pfx", pfx), "password": "Wrong-Pfx-Secret"}, "the PFX password is wrong or missing"),
        "missing-password": ({"path": write(tmp_path, "b.pfx", pfx)}, "the PFX password is wrong or missing"),
        "truncated": ({"path": write(tmp_path, "c.pfx", pfx[:len(pfx) // 2]), "password": PASSWORD}, "the data is truncated"),
        "corrupt": ({"path": write(tmp_path, "d.cer", b"\x30\x82\x01\x00" + b"\x31" * 256)}, "is corrupt or truncated"),
        "empty-file": ({"path": write(tmp_path, "e.cer", b"")}, "is empty: give the path of a certificate file"),
        "private-key": ({"path": write(tmp_path, "f.key", factory.key_pem(LEAF.key))}, "this is a private key, not a certificate"),
        "garbage-only-pem": ({"path": write(tmp_path, "g.pem", b"-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n")},
                             "PEM block 1 (CERTIFICATE) is corrupt"),
        "text-not-pem": ({"path": write(tmp_path, "h.txt", b"Thumbprint: A94E...\n")}, "no certificate found"),
        "directory": ({"path": str(tmp_path)}, "is a directory: give the path of a certificate file"),
        "missing-file": ({"path": str(tmp_path / "nope.pfx")}, "does not exist"),
        "bad-content": ({"content": "not*base64"}, "character U+002A '*' at position 4 is not base64"),
        "bad-policy": ({"content": factory.pem(LEAF.cert).decode(), "policy": {"min_bits": 1}}, "unknown policy key 'min_bits'"),
        "both-inputs": ({"path": "/x", "content": "y"}, "parameters are mutually exclusive: path|content"),
        "no-input": ({}, "one of the following is required: path, content"),
        "bad-purpose": ({"path": "/x", "purpose": "signing"}, "value of purpose must be one of: client_auth, server_auth, token_signing"),
    }


ERROR_IDS = ["wrong-password", "missing-password", "truncated", "corrupt", "empty-file", "private-key", "garbage-only-pem", "text-not-pem",
             "directory", "missing-file", "bad-content", "bad-policy", "both-inputs", "no-input", "bad-purpose"]


@pytest.mark.parametrize("case", ERROR_IDS)
def test_certificate_info_fails_with_one_clear_message(case, tmp_path, capsys):
    args, message = _error_inputs(tmp_path)[case]
    result = run_module(args, capsys)
    assert result["failed"] is True and message in result["msg"]
    assert "Traceback" not in json.dumps(result) and "exception" not in result


def test_certificate_info_fails_cleanly_on_an_unreadable_file(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "locked.pfx", b"x")
    real_open = open

    def refuse_certificates(name, *args, **kwargs):
        if str(name) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(name, *args, **kwargs)
    # The tests run as root, for whom chmod 000 changes nothing: refuse the open of this one file.
    monkeypatch.setattr("builtins.open", refuse_certificates)
    result = run_module({"path": path}, capsys)
    assert result["failed"] is True and "cannot read" in result["msg"] and "Permission denied" in result["msg"]


@pytest.mark.parametrize("password", [PASSWORD, "Wrong-Pfx-Secret"], ids=["right", "wrong"])
def test_certificate_info_never_returns_the_pfx_password(password, tmp_path, capsys):
    path = write(tmp_path, "adfs.pfx", factory.make_pfx(LEAF, password=PASSWORD))
    with patch_module_args({"path": path, "password": password}), pytest.raises(SystemExit):
        certificate_info.main()
    captured = capsys.readouterr()
    assert password not in captured.out and password not in captured.err
    assert PASSWORD not in captured.out


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wrong password
      certops.microsoft.certificate_info:
        path: "{{ pfx }}"
        password: "{{ wrong }}"
      register: wrong_result
      ignore_errors: true
    - name: Right password
      certops.microsoft.certificate_info:
        path: "{{ pfx }}"
        password: "{{ right }}"
      register: right_result
    - name: Filter and test read the same PFX
      ansible.builtin.assert:
        that:
          - wrong_result is failed
          - "'the PFX password is wrong or missing' in wrong_result.msg"
          - (pfx_b64 | certops.microsoft.cert_info(password=right)).thumbprint == right_result.thumbprint
          - (right_result.not_after | certops.microsoft.adfs_rollover_schedule).phase == 'before_generation'
          - right_result is not certops.microsoft.expires_within(30)
          - (right_result.thumbprint | lower | certops.microsoft.thumbprint) == right_result.thumbprint
"""


@pytest.mark.slow
def test_certificate_info_playbook_output_never_shows_the_password(tmp_path):
    pfx = factory.make_pfx(LEAF, (CA.cert,), password=PASSWORD)
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    extra = {"pfx": write(tmp_path, "adfs.pfx", pfx), "right": PASSWORD, "wrong": "Wrong-Pfx-Secret", "pfx_b64": base64.b64encode(pfx).decode()}
    (tmp_path / "vars.json").write_text(json.dumps(extra))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([os.path.join(REPO, ".build", "collections"), os.path.join(REPO, ".collections")]),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="False")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", "-i", "localhost,", "-c", "local",
               "-e", f"@{tmp_path / 'vars.json'}", "-e", f"ansible_python_interpreter={sys.executable}", str(tmp_path / "site.yml")]
    completed = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "ok=3" in output and "ignored=1" in output
    assert PASSWORD not in output and "Wrong-Pfx-Secret" not in output
