# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A change that breaks a product's safety invariant is recorded with the call that made it."""
from __future__ import annotations

import os

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab_playbooks", "remove_certificate.yml")
TOPOLOGY = {
    "hosts": {"wfm01": {"roles": ["wfm"], "certificates": [{"id": "outbound", "subject": "CN=wfm.lab.test", "acl": ["LAB\\svc-wfm"]}]},
              "sp01": {"roles": ["sharepoint"]}},
    "products": {"wfm": [{"name": "wfm", "service_uri": "https://wfm.lab.test:12290/", "hosts": ["wfm01"],
                          "service_account": "LAB\\svc-wfm", "outbound_certificate": "cert:outbound"}],
                 "sharepoint": [{"name": "sp", "hosts": ["sp01"], "workflow_farm": "wfm"}]},
}


def test_removing_the_wfm_outbound_certificate_records_a_violation_with_the_call(lab_factory):
    lab = lab_factory(TOPOLOGY)
    assert lab.violations() == []
    thumbprint = lab.state("wfm01")["stores"]["LocalMachine\\My"]["entries"][0]["thumbprint"]
    run = lab.run_playbook(PLAYBOOK, "--limit", "wfm01", extra_vars={"lab_thumbprint": thumbprint})
    assert run.returncode == 0, run.stdout + run.stderr
    violation, = lab.violations()
    assert (violation["call_id"], violation["host"], violation["module"]) == ("wfm01#1", "wfm01", "ansible.windows.win_certificate_store")
    assert any(message.startswith("wfm_current_outbound_certificate_on_every_host: ") and thumbprint in message
               for message in violation["messages"])
    record, = lab.audit()
    assert record["mutating"] and record["violations"] == violation["messages"]


def test_read_only_run_on_a_safe_estate_records_no_violation(lab_factory):
    lab = lab_factory(TOPOLOGY)
    run = lab.run_playbook(PLAYBOOK, "--limit", "wfm01", check=True, extra_vars={"lab_thumbprint": "0" * 40})
    assert run.returncode == 0, run.stdout + run.stderr
    assert lab.violations() == [] and [record["mutating"] for record in lab.audit()] == [False]
