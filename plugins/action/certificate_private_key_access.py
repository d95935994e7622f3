# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.certificate_private_key_access: let service accounts read a certificate's private key.

ansible.windows.win_certificate_store imports a PFX but has no option for the key's ACL, and
Workflow Manager signs with its outbound certificate under its RunAs account. One read
(windows_certificate_key_access without Account), the decision here, one grant for the accounts
that lack read access (the same script with Account), whose re-read is verified.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._key_access import checked_accounts, missing_readers
from ansible_collections.certops.microsoft.plugins.module_utils._plan import plan_step
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint
from ansible_collections.certops.microsoft.plugins.plugin_utils._action import CertopsActionBase, host_of, single_output

SCRIPT = "windows_certificate_key_access"
ARGUMENT_SPEC = {
    "thumbprint": {"type": "str", "required": True},
    "accounts": {"type": "list", "elements": "str", "required": True},
    "store_location": {"type": "str", "choices": ["LocalMachine"], "default": "LocalMachine"},
}


def key_state(output: dict) -> dict:
    return {"key_provider": output.get("KeyProvider"), "key_path": output.get("KeyPath"),
            "readers": [str(reader) for reader in output.get("Readers") or []]}


class ActionModule(CertopsActionBase):
    """certops.microsoft.certificate_private_key_access"""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def read(self, task_vars: dict, parameters: dict) -> dict:
        return key_state(single_output(self.run_script(SCRIPT, task_vars, parameters), SCRIPT))

    def perform(self, params: dict, task_vars: dict) -> dict:
        thumbprint, accounts = normalize_thumbprint(params["thumbprint"]), checked_accounts(params["accounts"])
        parameters = {"StoreLocation": params["store_location"], "Thumbprint": thumbprint, "Rights": "Read"}
        before = self.read(task_vars, parameters)
        missing = missing_readers(accounts, before["readers"])
        if not missing:
            return self.result(before, before, [], task_vars)
        if self.check_mode:
            return self.result(before, dict(before, readers=before["readers"] + missing), missing, task_vars)
        after = self.read(task_vars, dict(parameters, Account=missing))
        still = missing_readers(missing, after["readers"])
        if still:
            raise CertopsError(f"granted read access to the private key of {thumbprint} but {', '.join(still)} still cannot read it "
                               f"({after['key_path']}); check the account names and the key file's ACL")
        return self.result(before, after, missing, task_vars)

    def result(self, before: dict, after: dict, granted: list, task_vars: dict) -> dict:
        result = {"changed": bool(granted), "granted": granted, **after,
                  "diff": {"before": {"readers": before["readers"]}, "after": {"readers": after["readers"]}}}
        if self.check_mode:
            detail = f"grant Read on {before['key_path']} to {', '.join(granted)}"
            result["plan"] = [plan_step(1, host_of(task_vars), "grant private key read access", detail)] if granted else []
        return result
