# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: what the Workflow Manager and SharePoint trust actions share.

- ``NestedOutputActionBase``: their scripts return one object holding a list of objects
  (References, Issuers, Authorities), so they run with win_powershell ``depth`` 4.
- ``TrustedObjectAction``: read the list of trusts, decide the changes in Python, apply each with
  one script call (none in check mode, which returns the plan instead), verify what the script
  reports, return the list before/after as ``diff``.
"""
from __future__ import annotations

import dataclasses

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._public_certificate import public_certificate, thumbprint_set
from ansible_collections.certops.microsoft.plugins.module_utils._plan import plan_step
from ansible_collections.certops.microsoft.plugins.module_utils._sp_trust import entries_to_remove, refuse_protected_removal
from ansible_collections.certops.microsoft.plugins.module_utils._time import utc_now
from ansible_collections.certops.microsoft.plugins.plugin_utils._action import CertopsActionBase, host_of, single_output


class NestedOutputActionBase(CertopsActionBase):
    """A certops action whose scripts return nested objects (see the module docstring)."""

    SCRIPT_OUTPUT_DEPTH = 4

    def now(self):
        return utc_now()


@dataclasses.dataclass
class Change:
    """One script call the controller decided on, and the entry it creates, updates or removes."""

    operation: str          # New | Update | Set | Remove (the script's Operation)
    parameters: dict        # the script's parameters besides Operation
    action: str             # for the plan, e.g. "create trusted security token issuer"
    detail: str
    entry: dict


def applied(entries: list, change: Change) -> list:
    """The list of entries after one change."""
    others = [entry for entry in entries if entry.get("id") != change.entry.get("id") or not entry.get("id")]
    if change.operation == "Remove":
        return others
    if change.operation == "New":
        return entries + [change.entry]
    return [change.entry if entry.get("id") == change.entry.get("id") else entry for entry in entries]


class TrustedObjectAction(NestedOutputActionBase):
    """present / absent / query of a list of SharePoint trusts; subclasses supply the specifics."""

    NOUN = ""            # e.g. "trusted security token issuer"
    LIST_KEY = ""        # the returned list, e.g. "issuers"
    GET_SCRIPT = ""
    SET_SCRIPT = ""
    DIFF_KEYS = ("name", "thumbprint")
    THUMBPRINT_OUTPUT = ""   # the set script's property holding the certificate's thumbprint
    READ_CMDLET = ""         # named in the message when SharePoint reports another certificate

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.all_entries: list = []   # every entry the server holds (names are unique among them)

    def read_entries(self, task_vars: dict) -> tuple:
        """(entries this module manages, extra result keys) from the get script."""
        raise NotImplementedError

    def present_changes(self, request: dict, entries: list) -> list:
        raise NotImplementedError

    def verify_new(self, change: Change, output: dict) -> dict:
        """The created entry with the Id SharePoint gave it; a different certificate fails clearly."""
        reported = str(output.get(self.THUMBPRINT_OUTPUT) or "").upper()
        if reported != change.entry["thumbprint"]:
            raise CertopsError(f"SharePoint created {self.NOUN} {change.entry['name']!r} but reports certificate {reported or 'none'} "
                               f"instead of {change.entry['thumbprint']}; check it with {self.READ_CMDLET}")
        return dict(change.entry, id=output.get("Id"), name=output.get("Name") or change.entry["name"])

    def request(self, params: dict) -> dict:
        """Every input checked before the host is contacted."""
        request = dict(params)
        request["certificate"] = public_certificate(params["certificate"], now=self.now()) if params.get("certificate") else None
        request["protected"] = thumbprint_set(params.get("protected_thumbprints"), "protected_thumbprints")
        request["remove"] = thumbprint_set(params.get("thumbprints_to_remove"), "thumbprints_to_remove")
        if params["state"] == "absent" and request["certificate"]:
            request["remove"].add(request["certificate"].thumbprint)
        if params["state"] == "absent":
            refuse_protected_removal(request["remove"], request["protected"], self.NOUN)
        return request

    def changes(self, request: dict, entries: list) -> list:
        if request["state"] == "present":
            return self.present_changes(request, entries)
        if request["state"] == "absent":
            return [self.removal(entry) for entry in entries_to_remove(entries, request["remove"], request["protected"], self.NOUN)]
        return []

    def removal(self, entry: dict) -> Change:
        return Change("Remove", {"Identity": entry["id"]}, f"remove {self.NOUN}", f"remove {entry['name']!r} (certificate {entry['thumbprint']})",
                      entry)

    def apply(self, change: Change, task_vars: dict) -> Change:
        """Run one change; return it with the entry as SharePoint now reports it."""
        reply = self.run_script(self.SET_SCRIPT, task_vars, {"Operation": change.operation, **change.parameters})
        output = single_output(reply, self.SET_SCRIPT)
        if change.operation == "New":
            return dataclasses.replace(change, entry=self.verify_new(change, output))
        return change

    def perform(self, params: dict, task_vars: dict) -> dict:
        request = self.request(params)
        before, extra = self.read_entries(task_vars)
        planned = self.changes(request, before)
        if not self.check_mode:
            planned = [self.apply(change, task_vars) for change in planned]
        after = before
        for change in planned:
            after = applied(after, change)
        result = {"changed": bool(planned), self.LIST_KEY: after, "diff": self.diff(before, after), **extra}
        if self.check_mode:
            host = host_of(task_vars)
            result["plan"] = [plan_step(number, host, change.action, change.detail) for number, change in enumerate(planned, start=1)]
        return result

    def diff(self, before: list, after: list) -> dict:
        def summary(entries):
            return {self.LIST_KEY: [{key: entry.get(key) for key in self.DIFF_KEYS} for entry in entries]}
        return {"before": summary(before), "after": summary(after)}
