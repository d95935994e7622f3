# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The estate report's content: which hosts are inventoried, and the JSON and Markdown texts exactly.

The expected texts are what playbooks/templates/certificates.{json,md}.j2 produced for the same
results before the reports moved into Python.
"""
from __future__ import annotations

import json

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils import _inventory_report as report


def certificate(subject="CN=web.lab.test", thumbprint="AA" * 20, exportable=True, violations=(), store="My", days=200):
    """The fields of one certificate_inventory entry the reports read (the JSON report keeps them all)."""
    return {"store_location": "LocalMachine", "store_name": store, "subject": subject, "thumbprint": thumbprint,
            "not_after": "2027-06-11T12:00:00Z", "days_remaining": days, "key_exportable": exportable,
            "violations": [{"code": code, "reason": f"{code} reason"} for code in violations]}


def inventory_result(*certificates) -> dict:
    return {"changed": False, "certificates": list(certificates), "count": len(certificates)}


FAILED = {"failed": True, "msg": "certops script windows_certificate_inventory failed on the target: boom"}
UNREACHABLE = {"unreachable": True, "msg": "Remote end closed connection without response"}
SKIPPED = {"skipped": True, "skip_reason": "Conditional result was False", "changed": False}


@pytest.mark.parametrize("result, expected", [
    pytest.param(inventory_result(certificate()), True, id="answered"),
    pytest.param(inventory_result(), True, id="answered-with-no-certificate"),
    pytest.param(FAILED, False, id="failed"),
    pytest.param(dict(inventory_result(certificate()), failed=True), False, id="failed-with-certificates"),
    pytest.param(UNREACHABLE, False, id="unreachable"),
    pytest.param(SKIPPED, False, id="skipped"),
    pytest.param(None, False, id="no-result"),
    pytest.param({"changed": False}, False, id="no-certificates-key"),
    pytest.param("not a result", False, id="not-a-dict"),
])
def test_holds_inventory_only_for_a_successful_result(result, expected):
    assert report.holds_inventory(result) is expected


def test_estate_inventory_lists_hosts_without_inventory_apart_in_report_order():
    estate = report.estate_inventory({"web02": FAILED, "Web01": inventory_result(certificate()), "db01": None, "app01": inventory_result()})
    assert list(estate.hosts) == ["app01", "Web01"]
    assert estate.not_inventoried == ["db01", "web02"]
    assert estate.certificate_count == 1


def test_report_order_ignores_case_as_the_templates_did():
    assert report.report_order(["b01", "A02", "a01", "C01"]) == ["a01", "A02", "b01", "C01"]


ESTATE = report.estate_inventory({
    "web01": inventory_result(certificate("CN=web01 | pipe", "AB" * 20, False, ["too_little_validity"], days=10),
                              certificate("CN=Lab Root", "CD" * 20, None, store="Root", days=3000)),
    "ntlm01": inventory_result(certificate("CN=Zürich\nline two", "EF" * 20, True, ["weak_signature_hash", "expired"], days=-3),
                               certificate(None, "01" * 20)),
    "down01": UNREACHABLE,
})

EXPECTED_MARKDOWN = f"""# Certificate inventory

| host | store | subject | thumbprint | expires (UTC) | days left | key exportable | violations |
|---|---|---|---|---|---|---|---|
| ntlm01 | LocalMachine\\My | CN=Zürich line two | {"EF" * 20} | 2027-06-11T12:00:00Z | -3 | yes | weak_signature_hash, expired |
| ntlm01 | LocalMachine\\My | - | {"01" * 20} | 2027-06-11T12:00:00Z | 200 | yes |  |
| web01 | LocalMachine\\My | CN=web01 \\| pipe | {"AB" * 20} | 2027-06-11T12:00:00Z | 10 | no | too_little_validity |
| web01 | LocalMachine\\Root | CN=Lab Root | {"CD" * 20} | 2027-06-11T12:00:00Z | 3000 | - |  |

Not inventoried (failed or unreachable): down01
"""


def test_markdown_report_is_the_table_the_template_wrote():
    assert report.markdown_report(ESTATE) == EXPECTED_MARKDOWN


def test_markdown_report_without_missing_hosts_ends_with_the_table():
    text = report.markdown_report(report.estate_inventory({"web01": inventory_result(certificate())}))
    assert text.endswith(f"| web01 | LocalMachine\\My | CN=web.lab.test | {'AA' * 20} | 2027-06-11T12:00:00Z | 200 | yes |  |\n")
    assert "Not inventoried" not in text


@pytest.mark.parametrize("value, cell", [
    ("CN=a | b", "CN=a \\| b"),
    ("CN=a\nb", "CN=a b"),
    ("CN=a\r\nb", "CN=a b"),
    ("CN=a\rb", "CN=a b"),
    (None, "-"),
    (-3, "-3"),
    ("", ""),
])
def test_table_cell_keeps_a_value_inside_its_cell_and_row(value, cell):
    assert report.table_cell(value) == cell


def test_json_report_is_to_nice_json_of_the_answered_hosts():
    text = report.json_report(ESTATE)
    document = json.loads(text)
    assert document == {"hosts": {"ntlm01": ESTATE.hosts["ntlm01"], "web01": ESTATE.hosts["web01"]},
                        "not_inventoried": ["down01"], "certificate_count": 4}
    # to_nice_json: 4-space indent, sorted keys, "key": value, ASCII only, and the template's final newline.
    assert text == json.dumps(document, indent=4, sort_keys=True, separators=(",", ": ")) + "\n"
    assert text.startswith('{\n    "certificate_count": 4,\n    "hosts": {\n        "ntlm01": [\n')
    assert "Z\\u00fcrich" in text and text.isascii()


def test_render_reports_names_each_file_in_the_order_asked():
    assert list(report.render_reports(ESTATE, ["markdown", "json"])) == ["certificates.md", "certificates.json"]
    assert list(report.render_reports(ESTATE, ["json"])) == ["certificates.json"]


@pytest.mark.parametrize("name", sorted(report.REPORT_FORMATS))
def test_every_format_renders_a_text_that_ends_in_a_newline(name):
    text = report.REPORT_FORMATS[name].render(ESTATE)
    assert isinstance(text, str) and text.endswith("\n")
