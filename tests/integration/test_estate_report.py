# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/report.yml on `make demo`'s estate: every certificate role of every product, the files it writes (the
HTML page opened in a real headless Chromium), nothing changed on the hosts, and no secret anywhere."""
from __future__ import annotations

import datetime
import json
import os
import sys

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from certops_lab.pytest_plugin import REPO_ROOT
from wfm_sharepoint_lab import dump, mutating

sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
import demo_estate  # noqa: E402  pylint: disable=wrong-import-position

REPORT = os.path.join(REPO_ROOT, "playbooks", "report.yml")
SCREENSHOT = os.path.join(REPO_ROOT, "tests", "output", "estate-report.png")
# Pinned once (files compare between runs); after the lab made its certificates, so none is "not yet valid".
AS_OF = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
EXPECTED_ROLES = {"adfs_entra": {"primary", "current"}, "exchange_auth": {"current"}, "wfm_sharepoint": {"outbound", "issuer", "trusted"},
                  "d365_service_fabric": {"cluster", "client", "encryption", "signing"}}
SECRET_KEYS = ("adfs_entra_signing_pfx_password", "adfs_entra_graph_client_secret", "wfm_sharepoint_pfx_password")


@pytest.fixture(name="report", scope="module")
def report_fixture(tmp_path_factory):
    """One demo estate, one check-mode report run (the files are still written), shared by the tests of this file."""
    from certops_lab.lab import LabInstance   # pylint: disable=import-outside-toplevel
    from certops_lab.pytest_plugin import Lab  # pylint: disable=import-outside-toplevel
    from certops_lab.topology import load_topology   # pylint: disable=import-outside-toplevel
    work = tmp_path_factory.mktemp("estate")
    lab = Lab(LabInstance(load_topology(demo_estate.estate_topology()), str(work / "lab")).start())
    lab.variables = demo_estate.rotation_variables(lab.state_dir, str(work), lambda operation, **arguments: lab.instance.operations()[operation](**arguments))
    lab.dest = str(work / "report")
    lab.run = lab.run_playbook(REPORT, check=True, extra_vars={**lab.variables, "certops_report_dir": lab.dest, "certops_as_of": AS_OF})
    yield lab
    lab.stop()


def files(report) -> dict:
    return {name: open(os.path.join(report.dest, name), encoding="utf-8").read() for name in sorted(os.listdir(report.dest))}


def test_the_report_lists_every_certificate_role_of_every_product_and_changes_nothing(report):
    assert report.run.returncode == 0, dump(report.run)
    document = json.loads(files(report)["estate.json"])
    roles = {product: {row["role"] for row in document["certificates"] if row["product"] == product} for product in EXPECTED_ROLES}
    assert all(EXPECTED_ROLES[product] <= roles[product] for product in EXPECTED_ROLES), roles
    assert document["hosts"]["not_inventoried"] == [] and document["unread"] == []
    assert document["totals"]["by_severity"]["critical"] == 0 and document["totals"]["by_severity"]["warning"] > 0
    assert mutating(report.audit()) == [] and report.violations() == []


def test_the_run_ends_with_the_summary_and_hands_it_to_awx(report):
    result = report.run.results("Write estate.json, estate.md, estate.html, estate-junit.xml and estate.ics, and print the summary")["localhost"]
    assert result["msg"][0].startswith(f"certops estate report as of {AS_OF}: ") and result["msg"][-1] == f"written to {report.dest}"
    assert report.run.json["custom_stats"]["certops_estate"]["path"] == report.dest


def test_a_second_report_with_the_same_as_of_changes_no_file(report):
    before = files(report)
    run = report.run_playbook(REPORT, check=True, extra_vars={**report.variables, "certops_report_dir": report.dest, "certops_as_of": AS_OF})
    assert run.returncode == 0 and run.stats["localhost"]["changed"] == 0 and files(report) == before


def test_no_secret_reaches_a_report_file_or_the_output(report):
    text = "".join(files(report).values()) + report.run.stdout + report.run.stderr
    assert [key for key in SECRET_KEYS if report.variables[key] in text] == []


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def visible_rows(browser) -> list:
    return [row for row in browser.find_elements(By.CSS_SELECTOR, "#certificates tbody tr") if row.is_displayed()]


def requested_urls(browser) -> set:
    messages = (json.loads(entry["message"])["message"] for entry in browser.get_log("performance"))
    return {message["params"]["request"]["url"] for message in messages if message["method"] == "Network.requestWillBeSent"}


def test_the_html_page_renders_sorts_filters_and_asks_nothing_of_the_network_in_chromium(report):
    document = json.loads(files(report)["estate.json"])
    browser = chromium()
    try:
        browser.get("file://" + os.path.join(report.dest, "estate.html"))
        assert len(visible_rows(browser)) == len(document["certificates"]) and browser.find_element(By.ID, "timeline")
        header = browser.find_elements(By.CSS_SELECTOR, "#certificates thead th")[2]     # days left
        header.click()
        days = [row.find_elements(By.TAG_NAME, "td")[2].text for row in visible_rows(browser)]
        numbers = [int(value) for value in days if value not in ("", "-", "None")]
        assert numbers in (sorted(numbers), sorted(numbers, reverse=True)) and numbers != [] and len(set(numbers)) > 1
        browser.find_element(By.ID, "product").send_keys("exchange_auth")
        assert {row.get_attribute("data-product") for row in visible_rows(browser)} == {"exchange_auth"}
        browser.find_element(By.ID, "filter").send_keys("ex02")
        assert visible_rows(browser) and all("ex02" in row.text for row in visible_rows(browser))
        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        browser.save_screenshot(SCREENSHOT)
        assert {url.split(":", 1)[0] for url in requested_urls(browser)} <= {"file", "data"}
        assert [key for key in SECRET_KEYS if report.variables[key] in browser.page_source] == []
    finally:
        browser.quit()
