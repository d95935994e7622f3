# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.estate_report: the estate report of every product, written on the controller.

The document comes from module_utils/_estate_report.py, its files from _estate_html.py's registry; the files are
written as inventory_report writes its own (the same functions): each through a temporary file and a rename, only
when its content changed.
"""
from __future__ import annotations

import os

from ansible_collections.certops.microsoft.plugins.action.inventory_report import ActionModule as InventoryReportAction
from ansible_collections.certops.microsoft.plugins.action.inventory_report import make_directory, write_reports
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._estate_html import ESTATE_FORMATS, render_estate
from ansible_collections.certops.microsoft.plugins.module_utils._estate_report import estate_document, summary_lines
from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso, utc_now

ARGUMENT_SPEC = {
    "results": {"type": "dict", "required": True},
    "estates": {"type": "list", "elements": "dict", "default": []},
    "dest": {"type": "path", "default": "certops-report"},
    "formats": {"type": "list", "elements": "str", "choices": sorted(ESTATE_FORMATS), "default": sorted(ESTATE_FORMATS)},
    "as_of": {"type": "str"},
}
ESTATE_KEYS = ("product", "certificates", "deadlines", "unread")


def checked_estates(estates: list) -> list:
    """The products' estate dicts: a registered estate phase result (its ``estate``) or the dict itself. An empty item
    or a skipped result is a product that did not run (disabled, or no host in its group)."""
    found = []
    for item in estates:
        if not item or item.get("skipped"):
            continue
        estate = item.get("estate", item)
        if not all(key in estate for key in ESTATE_KEYS):
            raise CertopsError("estates: each item is a product role's registered estate result (e.g. wfm_sharepoint_estate) "
                               f"holding {', '.join(ESTATE_KEYS)}; got the keys {', '.join(sorted(estate)) or 'none'}")
        found.append(estate)
    return found


def as_of_time(text):
    try:
        return parse_iso(text) if text else utc_now()
    except (TypeError, ValueError):
        raise CertopsError(f"as_of: {text!r} is not an ISO 8601 instant; give e.g. 2026-12-01T00:00:00Z") from None


class ActionModule(InventoryReportAction):
    """certops.microsoft.estate_report"""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def perform(self, params: dict, task_vars: dict) -> dict:
        document = estate_document(params["results"], checked_estates(params["estates"]), as_of_time(params.get("as_of")))
        # Relative to where ansible-playbook runs (the controller's working directory), never to the playbook.
        directory = os.path.abspath(params["dest"])
        created = not os.path.isdir(directory) if self.check_mode else make_directory(directory)
        changed, paths = write_reports(directory, render_estate(document, params["formats"]), self.check_mode)
        stats = {"certops_estate": {"as_of": document["as_of"], "totals": document["totals"], "earliest_deadline": document["earliest_deadline"],
                                    "path": directory}}
        return {"changed": created or changed, "dest": directory, "files": paths, "totals": document["totals"],
                "earliest_deadline": document["earliest_deadline"], "msg": summary_lines(document, directory),
                "ansible_stats": {"data": stats, "per_host": False, "aggregate": True}, "_ansible_verbose_always": True}
