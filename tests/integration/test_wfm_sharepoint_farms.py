# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every SharePoint farm that trusts the Workflow Manager farm is in the plan: two farms in one
group both trust the new certificate before the switch, and a rotation left half done (Workflow
Manager switched, one farm behind) is finished by the next run."""
from __future__ import annotations

from certops_lab.invariants import check_all
from certops_lab.products.workflow import workflow_probe
from wfm_sharepoint_lab import ROTATE, calls_per_host, dump, mutating, plan_document, role_vars, topology, write_pfx

TWO_FARM_HOSTS = ("wfm01", "wfm02", "sp01", "sp02", "sp11")


def farm_trusts(lab, farm: str) -> list:
    return sorted(issuer.thumbprint for issuer in lab.instance.runtime.estate.products["sharepoint"][farm].issuers)


def estate_of(lab):
    return lab.instance.runtime.estate


def test_both_farms_trust_the_new_certificate_before_the_switch_with_no_violation(lab_factory, tmp_path):
    lab = lab_factory(topology("wfm_sharepoint_two_farms.yml"))
    new = write_pfx(str(tmp_path / "new.pfx"))
    run = lab.run_playbook(ROTATE, extra_vars=role_vars(str(tmp_path / "new.pfx")))
    assert run.returncode == 0, dump(run)
    assert new in farm_trusts(lab, "intranet") and new in farm_trusts(lab, "extranet")
    assert lab.violations() == [] and estate_of(lab).products["wfm"]["wfm"].current == new
    writes = [(record["host"], record["script"]) for record in mutating(lab.audit())]
    switch = writes.index(("wfm01", "wfm_outbound_certificate_set"))
    assert {("sp01", "sp_trusted_security_token_issuer_set"), ("sp11", "sp_trusted_security_token_issuer_set")} <= set(writes[:switch])
    assert calls_per_host(lab.audit()) == {"wfm01": 4, "wfm02": 3, "sp01": 4, "sp02": 1, "sp11": 4}
    assert {farm: workflow_probe(estate_of(lab), farm)["status"] for farm in ("intranet", "extranet")} == {"intranet": 200, "extranet": 200}


def test_the_plan_names_every_farm_of_the_group_by_its_farm_id(lab_factory, tmp_path):
    lab = lab_factory(topology("wfm_sharepoint_two_farms.yml"))
    write_pfx(str(tmp_path / "new.pfx"))
    run = lab.run_playbook(ROTATE, check=True, extra_vars=role_vars(str(tmp_path / "new.pfx")))
    assert run.returncode == 0, dump(run)
    farm_ids = {farm.id for farm in estate_of(lab).products["sharepoint"].values()}
    issuer_steps = [step for step in plan_document(run)["steps"] if step["action"] == "create trusted security token issuer"]
    assert {step["host"] for step in issuer_steps} == {"sp01", "sp11"}
    assert {step["detail"].rsplit("in farm ", 1)[1] for step in issuer_steps} == farm_ids
    assert mutating(lab.audit()) == []


def test_a_run_after_a_half_done_rotation_finishes_the_farm_left_behind(lab_factory):
    lab = lab_factory(topology("wfm_sharepoint_partial.yml"))
    estate = estate_of(lab)
    new = estate.products["wfm"]["wfm"].current
    assert workflow_probe(estate, "extranet")["status"] == 401   # the defect this run must repair
    run = lab.run_playbook(ROTATE, extra_vars=role_vars(wfm_sharepoint_thumbprint=new))
    assert run.returncode == 0, dump(run)
    assert [(record["host"], record["script"]) for record in mutating(lab.audit())] == [
        ("sp11", "sp_trusted_root_authority_set"), ("sp11", "sp_trusted_security_token_issuer_set")]
    assert workflow_probe(estate, "extranet")["status"] == 200 and check_all(estate) == []
    assert estate.products["wfm"]["wfm"].current == new
    again = lab.run_playbook(ROTATE, extra_vars=role_vars(wfm_sharepoint_thumbprint=new))
    assert again.returncode == 0 and plan_document(again)["status"] == "converged"


def test_a_farm_that_trusts_none_of_the_workflow_manager_certificates_is_refused(lab_factory, tmp_path):
    data = topology("wfm_sharepoint_two_farms.yml")
    data["products"]["sharepoint"][1]["issuers"] = []
    lab = lab_factory(data)
    run = lab.run_playbook(ROTATE, extra_vars=role_vars(write_pfx(str(tmp_path / "new.pfx")) and str(tmp_path / "new.pfx")))
    assert run.returncode != 0
    assert "trusts none of this Workflow Manager farm's certificates" in dump(run) and "sp11" in dump(run)
    assert mutating(lab.audit()) == []
