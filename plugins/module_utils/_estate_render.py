# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The estate report document (``_estate_report.estate_document``) as files: JSON, Markdown, HTML, JUnit, iCalendar.

PRIVATE to the collection: the name and location may change without notice.

Each renderer is a pure function of the document; BASE_FORMATS names the file each one writes; the HTML page
is in ``_estate_html.py``, which also holds the registry of every format.
"""
from __future__ import annotations

import hashlib
import json
from xml.etree import ElementTree

from ansible_collections.certops.microsoft.plugins.module_utils._estate_report import worst
from ansible_collections.certops.microsoft.plugins.module_utils._inventory_report import ReportFormat, table_cell, table_row
from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso

COLUMNS = ("severity", "expires (UTC)", "days left", "host or location", "store", "product", "role", "subject", "thumbprint", "findings")


def place(row: dict) -> str:
    return row["host"] or row["location"]


def findings_text(row: dict) -> str:
    return "; ".join(f"{item['severity']}: {item['code']}: {item['message']}" for item in row["findings"])


def row_values(row: dict) -> tuple:
    return (worst(row), row["not_after"], row["days_left"], place(row), row["store"] or row["location"], row["product"], row["role"],
            row["subject"], row["thumbprint"], findings_text(row))


def json_report(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def markdown_report(document: dict) -> str:
    counts = document["totals"]["by_severity"]
    lines = ["# Certificate estate", "", f"As of {document['as_of']}: {document['totals']['certificates']} certificate(s), "
             + ", ".join(f"{count} {severity}" for severity, count in counts.items()) + ".", "", "## Deadlines", "",
             table_row(("when (UTC)", "kind", "product", "what", "host", "thumbprint")), "|---|---|---|---|---|---|"]
    lines += [table_row(table_cell(item[key]) for key in ("when", "kind", "product", "what", "host", "thumbprint")) for item in document["deadlines"]]
    lines += ["", "## Certificates", "", table_row(COLUMNS), "|" + "---|" * len(COLUMNS)]
    lines += [table_row(table_cell(value) for value in row_values(row)) for row in document["certificates"]]
    unread = document["hosts"]["not_inventoried"] + [f"{item['host']} ({item['product']})" for item in document["unread"]]
    return "\n".join(lines + ([f"\nNot read: {', '.join(unread)}"] if unread else [])) + "\n"


def junit_report(document: dict) -> str:
    """One testsuite per product (and one for certificates no product uses), one testcase per certificate row, failed
    when it has a critical finding; a "deadlines" suite fails a human action whose date has passed."""
    root = ElementTree.Element("testsuites", name="certops estate", timestamp=document["as_of"])
    for product in document["products"] + [""]:
        rows = [row for row in document["certificates"] if row["product"] == product]
        suite = ElementTree.SubElement(root, "testsuite", name=product or "unassigned", tests=str(len(rows)),
                                       failures=str(sum(1 for row in rows if worst(row) == "critical")))
        for row in rows:
            name = f"{place(row)} {row['role'] or 'certificate'} {row['thumbprint']}"
            case = ElementTree.SubElement(suite, "testcase", classname=product or "unassigned", name=name)
            if worst(row) == "critical":
                ElementTree.SubElement(case, "failure", message=findings_text(row), type="critical")
            elif row["findings"]:
                ElementTree.SubElement(case, "system-out").text = findings_text(row)
    deadlines_suite(root, document)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def deadlines_suite(root, document: dict) -> None:
    human = [item for item in document["deadlines"] if item["kind"] == "human"]
    missed = [item for item in human if parse_iso(item["when"]) < parse_iso(document["as_of"])]
    suite = ElementTree.SubElement(root, "testsuite", name="deadlines", tests=str(len(human)), failures=str(len(missed)))
    for item in human:
        case = ElementTree.SubElement(suite, "testcase", classname=item["product"], name=f"{item['when']} {item['what']}")
        if item in missed:
            ElementTree.SubElement(case, "failure", message=f"the date has passed: {item['what']}", type="missed")


def ics_text(value: str) -> str:
    """RFC 5545 TEXT escaping."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def folded(line: str) -> list:
    """RFC 5545 folding: lines of at most 75 octets, continuations start with a space."""
    data, parts = line.encode("utf-8"), []
    while len(data) > 75:
        cut = 75 if not parts else 74
        while cut and (data[cut] & 0xC0) == 0x80:    # never split a UTF-8 sequence
            cut -= 1
        parts.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    parts.append(data.decode("utf-8"))
    return [parts[0]] + [" " + part for part in parts[1:]]


def ics_stamp(iso: str) -> str:
    return parse_iso(iso).strftime("%Y%m%dT%H%M%SZ")


def ics_event(item: dict, stamp: str) -> list:
    key = "|".join(item[name] for name in ("product", "kind", "what", "host", "thumbprint"))
    uid = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    summary = f"certops: {item['product']}: {item['what']}"
    return ["BEGIN:VEVENT", f"UID:{uid}@certops.microsoft", f"DTSTAMP:{stamp}", f"DTSTART:{ics_stamp(item['when'])}",
            f"SUMMARY:{ics_text(summary)}", f"DESCRIPTION:{ics_text(item['kind'] + ' ' + (item['host'] or '') + ' ' + item['thumbprint'])}",
            "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-P7D", f"DESCRIPTION:{ics_text(summary)}", "END:VALARM", "END:VEVENT"]


def ics_report(document: dict) -> str:
    """One VEVENT per deadline, a stable UID (the same deadline keeps it run after run), an alarm a week ahead."""
    stamp = ics_stamp(document["as_of"])
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//certops.microsoft//estate report//EN", "CALSCALE:GREGORIAN"]
    for item in document["deadlines"]:
        lines += ics_event(item, stamp)
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in folded(line))


BASE_FORMATS = {
    "json": ReportFormat("estate.json", json_report),
    "markdown": ReportFormat("estate.md", markdown_report),
    "junit": ReportFormat("estate-junit.xml", junit_report),
    "ics": ReportFormat("estate.ics", ics_report),
}
