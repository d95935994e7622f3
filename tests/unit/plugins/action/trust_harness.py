# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the action tests of the Workflow Manager / SharePoint / key access modules.

``run_action`` runs an action plugin with ``ActionBase._execute_module`` replaced: either by a
list of recorded win_powershell replies (returned in order), or by ``lab_executor``, which hands
the call to the lab's win_powershell twin over a small estate (one WFM host, one SharePoint host).
Every call is kept, so tests can check what reached PowerShell and how.
"""
from __future__ import annotations

import datetime
import functools
from unittest.mock import MagicMock

from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certops_lab.contracts import CallContext
from certops_lab.products import workflow
from certops_lab.state import Estate
from certops_lab.twins.powershell import win_powershell

from ansible_collections.certops.microsoft.plugins.plugin_utils import _trust_action

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)
SERVICE_URI = "https://wfm.lab.test:12290/"
SERVICE_ACCOUNT = "LAB\\svc-wfm"
HOSTILE = ["a'b\"c", "x; Remove-Item C:\\ -Recurse", "$(Stop-Computer)", "`whoami`", "line1\nline2"]


@functools.lru_cache(maxsize=None)
def key(label: str):
    del label  # one key per label
    return ec.generate_private_key(ec.SECP256R1())


@functools.lru_cache(maxsize=None)
def certificate(label: str, issuer_label: str = "") -> x509.Certificate:
    """CN=<label>, self-signed unless issuer_label names the CA (CN=<issuer_label>) that signs it."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, label)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_label)]) if issuer_label else subject
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key(label).public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=10))
            .not_valid_after(NOW + datetime.timedelta(days=365)).sign(key(issuer_label or label), hashes.SHA256()))


def der(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def thumbprint(cert) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # nosec - a Windows thumbprint


def key_pem(label: str) -> str:
    return key(label).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def win_powershell_reply(output=(), changed=False, **extra) -> dict:
    reply = {"changed": changed, "output": list(output), "result": {}, "error": [], "warning": [], "host_out": "", "host_err": "",
             "verbose": [], "debug": [], "information": []}
    reply.update(extra)
    return reply


def failed_reply(message: str) -> dict:
    return win_powershell_reply(changed=True, failed=True, error=[{"output": message, "error_details": None,
                                                                   "exception": {"message": message, "type": "System.Exception"}}])


def action_for(module, args: dict, check_mode: bool, name: str):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    task.action = f"certops.microsoft.{name}"
    play_context = MagicMock()
    play_context.check_mode = check_mode
    return module.ActionModule(task, MagicMock(), play_context, loader=None, templar=None, shared_loader_obj=None)


def run_action(monkeypatch, module, args: dict, replies=None, check_mode=False, executor=None, host="win01"):
    """(result, calls): calls are the (module_name, module_args) pairs that reached _execute_module."""
    name = module.__name__.rsplit(".", 1)[-1]
    action = action_for(module, args, check_mode, name)
    pending, calls = list(replies or []), []

    def execute(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        del self, kwargs
        calls.append((module_name, module_args))
        return executor(module_name, module_args, task_vars, check_mode) if executor else pending.pop(0)

    monkeypatch.setattr(ActionBase, "_execute_module", execute)
    monkeypatch.setattr(_trust_action, "utc_now", lambda: NOW)
    return action.run(task_vars={"inventory_hostname": host}), calls


def scripts_called(calls) -> list:
    """The certops script names in the order they ran."""
    return [args["script"].split("# certops-script: ", 1)[1].split()[0] for args in module_args(calls)]


def module_args(calls) -> list:
    """The win_powershell options of each call."""
    return [args for module_name, args in calls if module_name]


def lab_estate(trusted=("old",)) -> Estate:
    """wfm01 (Workflow Manager signing with "old", "new" staged with a readable key) and sp01
    (SharePoint trusting each label in ``trusted`` through an issuer for 00000005-...@*)."""
    estate = Estate()
    wfm = estate.add_host("wfm01", roles=["wfm"])
    for label in ("old", "new"):
        wfm.store("LocalMachine", "My").add(der(certificate(label)), key=key_pem(label), key_readers=[SERVICE_ACCOUNT])
    estate.add_host("sp01", roles=["sharepoint"])
    issuers = [{"name": f"wfm-{label}", "registered_issuer_name": "00000005-0000-0000-c000-000000000000@*",
                "certificate": thumbprint(certificate(label)), "is_self_issuer": True} for label in trusted]
    products = {"wfm": [{"name": "wfm", "service_uri": SERVICE_URI, "hosts": ["wfm01"], "service_account": SERVICE_ACCOUNT,
                         "outbound_certificate": thumbprint(certificate("old"))}],
                "sharepoint": [{"name": "sp", "hosts": ["sp01"], "workflow_farm": "wfm", "issuers": issuers}]}
    workflow.from_topology(products, estate)
    return estate


def lab_executor(estate: Estate, host: str):
    """An _execute_module stand-in that runs win_powershell's lab twin on ``host`` of ``estate``."""
    def execute(module_name, module_args, task_vars, check_mode):
        del task_vars
        assert module_name == "ansible.windows.win_powershell"
        return win_powershell(estate, estate.hosts[host], module_args, CallContext(host=host, check_mode=check_mode, now=NOW))
    return execute


def doc_spec_mismatches(name: str) -> list:
    """Differences between a doc-only module's options and its action's ARGUMENT_SPEC (validate-modules' rule)."""
    import importlib  # pylint: disable=import-outside-toplevel
    import yaml  # pylint: disable=import-outside-toplevel
    documented = yaml.safe_load(importlib.import_module(f"ansible_collections.certops.microsoft.plugins.modules.{name}").DOCUMENTATION)["options"]
    spec = importlib.import_module(f"ansible_collections.certops.microsoft.plugins.action.{name}").ARGUMENT_SPEC
    problems = [f"{option}: only in one of docs and spec" for option in set(documented) ^ set(spec)]
    for option in set(documented) & set(spec):
        for key in ("type", "required", "default", "choices", "elements"):
            if documented[option].get(key, False if key == "required" else None) != spec[option].get(key, False if key == "required" else None):
                problems.append(f"{option}.{key}")
    return problems
