# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The estate report: the join of inventory and product rows, and every file it renders, read back by real parsers
(jsonschema, junitparser, icalendar)."""
from __future__ import annotations

import datetime
import json
import os

import icalendar
import jsonschema
import junitparser

from ansible_collections.certops.microsoft.plugins.module_utils._estate import certificate_row, deadline, finding
from ansible_collections.certops.microsoft.plugins.module_utils._estate_html import render_estate
from ansible_collections.certops.microsoft.plugins.module_utils._estate_render import folded
from ansible_collections.certops.microsoft.plugins.module_utils._estate_report import estate_document, summary_lines

AS_OF = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "schemas", "estate-v1.json")
OUTBOUND, UNUSED, ENTRA = "A" * 40, "B" * 40, "C" * 40


def inventory_certificate(thumbprint: str, not_after: str, violations=()) -> dict:
    return {"thumbprint": thumbprint, "store_location": "LocalMachine", "store_name": "My", "subject": "CN=x | <b>y</b>",
            "not_after": not_after, "violations": list(violations)}


def document() -> dict:
    results = {"wfm01": {"certificates": [inventory_certificate(OUTBOUND, "2026-12-20T00:00:00Z"),
                                          inventory_certificate(UNUSED, "2026-11-01T00:00:00Z", [{"code": "expired", "reason": "expired"}])]},
               "down01": {"unreachable": True}}
    wfm = {"product": "wfm_sharepoint", "unread": [],
           "certificates": [certificate_row("wfm_sharepoint", "outbound", OUTBOUND, "2026-12-20T00:00:00Z", host="wfm01",
                                            findings=[finding("warning", "expires_soon", "19 days")])],
           "deadlines": [deadline("wfm_sharepoint", "human", "2026-12-20T00:00:00Z", "rotate, before it expires", host="wfm01"),
                         deadline("wfm_sharepoint", "human", "2026-11-20T00:00:00Z", "an action already late")]}
    adfs = {"product": "adfs_entra", "unread": [{"host": "adfs02", "error": "refused"}], "deadlines": [],
            "certificates": [certificate_row("adfs_entra", "current", ENTRA, "", location="Entra: lab.test federation")]}
    return estate_document(results, [wfm, adfs], AS_OF)


def test_a_stored_certificate_takes_its_product_role_and_a_cloud_one_is_a_row_of_its_own():
    rows = {(row["thumbprint"], row["product"], row["role"], row["host"] or row["location"]) for row in document()["certificates"]}
    assert rows == {(OUTBOUND, "wfm_sharepoint", "outbound", "wfm01"), (UNUSED, "", "", "wfm01"),
                    (ENTRA, "adfs_entra", "current", "Entra: lab.test federation")}


def test_totals_count_rows_by_their_worst_finding_and_the_earliest_deadline_is_still_ahead():
    built = document()
    assert built["totals"]["by_severity"] == {"critical": 1, "warning": 1, "info": 0, "ok": 1}
    assert built["earliest_deadline"]["when"] == "2026-12-20T00:00:00Z"
    assert built["hosts"]["not_inventoried"] == ["down01"] and built["unread"] == [{"product": "adfs_entra", "host": "adfs02", "error": "refused"}]


def test_the_summary_says_counts_earliest_deadline_unread_hosts_and_path():
    lines = summary_lines(document(), "/tmp/r")
    assert lines == ["certops estate report as of 2026-12-01T00:00:00Z: 3 certificate(s); 1 critical, 1 warning, 0 info, 1 ok",
                     "earliest deadline: 2026-12-20T00:00:00Z wfm_sharepoint: rotate, before it expires",
                     "not read: adfs02, down01", "written to /tmp/r"]


def test_the_json_file_follows_its_schema():
    with open(SCHEMA, encoding="utf-8") as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    assert list(validator.iter_errors(json.loads(render_estate(document(), ["json"])["estate.json"]))) == []


def test_junit_fails_critical_certificates_and_missed_human_deadlines(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(render_estate(document(), ["junit"])["estate-junit.xml"], encoding="utf-8")
    suites = {suite.name: suite for suite in junitparser.JUnitXml.fromfile(str(path))}
    assert (suites["unassigned"].tests, suites["unassigned"].failures) == (1, 1)
    assert (suites["wfm_sharepoint"].tests, suites["wfm_sharepoint"].failures) == (1, 0)
    assert (suites["deadlines"].tests, suites["deadlines"].failures) == (2, 1)


def test_icalendar_has_one_event_per_deadline_with_stable_uids_and_an_alarm():
    text = render_estate(document(), ["ics"])["estate.ics"]
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert sorted(str(event["DTSTART"].dt) for event in events) == ["2026-11-20 00:00:00+00:00", "2026-12-20 00:00:00+00:00"]
    assert all(event.walk("VALARM") for event in events) and render_estate(document(), ["ics"])["estate.ics"] == text
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))


def test_long_ics_lines_fold_without_splitting_a_character():
    parts = folded("SUMMARY:" + "é" * 60)
    assert all(len(part.encode("utf-8")) <= 75 for part in parts) and "".join(part.lstrip(" ") for part in parts) == "SUMMARY:" + "é" * 60


def test_markdown_escapes_table_breaking_values_and_html_escapes_markup():
    files = render_estate(document(), ["markdown", "html"])
    assert "CN=x \\| <b>y</b>" in files["estate.md"]
    assert "CN=x | &lt;b&gt;y&lt;/b&gt;" in files["estate.html"] and "<b>y</b>" not in files["estate.html"]
    assert "http://" not in files["estate.html"] and "https://" not in files["estate.html"]
