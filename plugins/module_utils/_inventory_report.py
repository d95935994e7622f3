# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The estate's certificate report: every host's certificate_inventory result as report files.

PRIVATE to the collection: the name and location may change without notice.

Pure functions from the registered results to the text of each file; the inventory_report action
writes them. Every format renders the same EstateInventory and is one entry of REPORT_FORMATS,
so that a new one (HTML, JUnit, iCalendar) is a function and a line, not a change to the others.
"""
from __future__ import annotations

import dataclasses
import json
import re
import typing as t

# A line break ends a Markdown table row; CommonMark knows these three.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
TABLE_COLUMNS = ("host", "store", "subject", "thumbprint", "expires (UTC)", "days left", "key exportable", "violations")
NOT_INVENTORIED = "Not inventoried (failed or unreachable)"
# A task result with one of these set holds no inventory, whatever else it carries.
NO_INVENTORY_FLAGS = ("failed", "unreachable", "skipped")


@dataclasses.dataclass(frozen=True)
class EstateInventory:
    """The certificates of every host that answered, in report order, and the hosts that did not."""

    hosts: dict
    not_inventoried: list

    @property
    def certificate_count(self) -> int:
        return sum(len(certificates) for certificates in self.hosts.values())


def report_order(hosts) -> list:
    """Host names by name, ignoring case: the order of Jinja's sort filter, which the reports had
    when they were templates."""
    return sorted(hosts, key=str.lower)


def holds_inventory(result) -> bool:
    """Whether a registered certificate_inventory result holds the host's certificates; a failed,
    unreachable or skipped task, or no result at all, holds none."""
    if not isinstance(result, dict) or not isinstance(result.get("certificates"), list):
        return False
    return not any(result.get(flag) for flag in NO_INVENTORY_FLAGS)


def estate_inventory(results: dict) -> EstateInventory:
    """The EstateInventory of ``{host: registered certificate_inventory result, or None}``."""
    hosts = report_order(results)
    answered = {host: results[host]["certificates"] for host in hosts if holds_inventory(results[host])}
    return EstateInventory(answered, [host for host in hosts if host not in answered])


def json_report(estate: EstateInventory) -> str:
    """certificates.json: every field of every certificate per host, the hosts not inventoried and
    the total, laid out as Ansible's to_nice_json writes it (4 spaces, sorted keys, ASCII)."""
    document = {"hosts": estate.hosts, "not_inventoried": estate.not_inventoried, "certificate_count": estate.certificate_count}
    return json.dumps(document, indent=4, sort_keys=True, separators=(",", ": ")) + "\n"


def table_cell(value) -> str:
    """One Markdown table cell: '|' would end the cell and a line break the row, so '|' is escaped
    and line breaks become spaces; None (nothing known) is '-'."""
    return "-" if value is None else _LINE_BREAK.sub(" ", str(value)).replace("|", "\\|")


def table_row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def yes_no(value) -> str | None:
    """yes / no for a flag; None stays None (the certificate_inventory value for "could not tell")."""
    return None if value is None else ("yes" if value else "no")


def certificate_row(host: str, certificate: dict) -> str:
    """The table row of one certificate: where it is, what it is, when it expires, what is wrong."""
    values = (
        host, f"{certificate.get('store_location')}\\{certificate.get('store_name')}", certificate.get("subject") or None,
        certificate.get("thumbprint"), certificate.get("not_after"), certificate.get("days_remaining"), yes_no(certificate.get("key_exportable")),
        ", ".join(violation.get("code", "") for violation in certificate.get("violations") or []),
    )
    return table_row(table_cell(value) for value in values)


def markdown_report(estate: EstateInventory) -> str:
    """certificates.md: one table row per certificate, hosts in report order, then the hosts not inventoried."""
    lines = ["# Certificate inventory", "", table_row(TABLE_COLUMNS), "|" + "---|" * len(TABLE_COLUMNS)]
    lines += [certificate_row(host, certificate) for host, certificates in estate.hosts.items() for certificate in certificates]
    if estate.not_inventoried:
        lines += ["", f"{NOT_INVENTORIED}: {', '.join(estate.not_inventoried)}"]
    return "\n".join(lines) + "\n"


@dataclasses.dataclass(frozen=True)
class ReportFormat:
    """One report file: its name in the report directory and the function that renders its text."""

    file_name: str
    render: t.Callable[[EstateInventory], str]


REPORT_FORMATS = {
    "json": ReportFormat("certificates.json", json_report),
    "markdown": ReportFormat("certificates.md", markdown_report),
}


def render_reports(estate: EstateInventory, formats) -> dict:
    """``{file name: text}`` of every format named in ``formats``, in that order."""
    return {REPORT_FORMATS[name].file_name: REPORT_FORMATS[name].render(estate) for name in formats}
