# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Workflow Manager farm model: outbound references, the CU3 Get-WFFarm quirk, key checks."""
from __future__ import annotations

import pytest

from certops_lab.contracts import CallContext, CmdletError
from certops_lab.products import workflow
from certops_lab.products.wfm import WorkflowFarm, normalise_uri
from certops_lab.state import Estate
from certops_lab.twins.scripts import lookup

from workflow_lab import SERVICE_ACCOUNT, SERVICE_URI, install, workflow_estate

OLD = "A" * 40
NEW = "B" * 40


def farm_with(version="1.0 CU3", **fields):
    return WorkflowFarm(name="wfm", service_uri="https://wfm.lab.test:12290/", hosts=["wfm01"], service_account="LAB\\svc-wfm",
                        version=version, current=OLD, created_with=OLD, history=[OLD], **fields)


def test_set_next_as_current_promotes_next_and_keeps_previous():
    farm = farm_with(next=NEW)
    farm.set_next_as_current()
    assert farm.outbound_references() == {"Current": NEW, "Next": "", "Previous": OLD}
    assert farm.signing_thumbprint() == NEW and farm.history == [OLD, NEW]


def test_set_next_as_current_without_next_fails():
    with pytest.raises(CmdletError, match="no next outbound certificate reference"):
        farm_with().set_next_as_current()


def test_set_next_as_current_with_current_as_next_changes_nothing():
    farm = farm_with(next=OLD)
    farm.set_next_as_current()
    assert farm.outbound_references() == {"Current": OLD, "Next": "", "Previous": ""}


@pytest.mark.parametrize("version,shown", [("1.0 CU3", OLD), ("1.0 CU2", OLD), ("1.0 CU4", NEW), ("1.0 CU5", NEW)])
def test_get_wffarm_view_is_stale_before_cu4(version, shown):
    farm = farm_with(version=version, next=NEW)
    farm.set_next_as_current()
    assert farm.farm_view_outbound() == shown


@pytest.mark.parametrize("uri", ["https://wfm.lab.test:12290", "HTTPS://WFM.LAB.TEST:12290/", "https://Wfm.Lab.Test:12290"])
def test_service_uri_matches_as_system_uri_does(uri):
    assert farm_with().serves(uri)


def test_service_uri_path_stays_case_sensitive():
    assert normalise_uri("https://h/Path/") == "https://h/Path" != normalise_uri("https://h/path")
    assert not farm_with().serves("https://other.lab.test:12290")


def test_farm_to_dict_round_trip():
    farm = farm_with(next=NEW)
    assert WorkflowFarm.from_dict(farm.to_dict()) == farm


# --- Set-WFNextOutboundCertificateReference needs the key on every host ----------------------------
def test_set_next_reference_accepts_certificate_on_every_host_with_readable_key():
    estate = workflow_estate()
    thumbprint = [install(estate.hosts[name], "new") for name in ("wfm01", "wfm02")][0]
    farm = workflow.wfm_farms(estate)["wfm"]
    farm.set_next_reference(thumbprint, estate)
    assert farm.next == thumbprint


@pytest.mark.parametrize("setup,message", [
    (lambda host: None, r"'{tp}' was not found in the LocalMachine\\My certificate store on wfm02"),
    (lambda host: install(host, "new", key=False), "'{tp}' on wfm02 has no private key"),
    (lambda host: install(host, "new", readers=("LAB\\someone-else",)),
     r"Keyset does not exist \(the private key of '{tp}' on wfm02 is not readable by LAB\\svc-wfm\)"),
], ids=["missing_on_one_host", "no_private_key", "key_not_readable_by_service_account"])
def test_set_next_reference_refuses_certificate_unusable_on_a_host(setup, message):
    estate = workflow_estate()
    thumbprint = install(estate.hosts["wfm01"], "new")
    setup(estate.hosts["wfm02"])
    farm = workflow.wfm_farms(estate)["wfm"]
    with pytest.raises(CmdletError, match=message.format(tp=thumbprint)):
        farm.set_next_reference(thumbprint, estate)
    assert farm.next == ""


# --- script twins -----------------------------------------------------------------------------------
def run(estate, name, parameters, host="wfm01", check_mode=False):
    return lookup(name)(estate, estate.hosts[host], parameters, CallContext(host=host, check_mode=check_mode))


def test_get_twin_returns_the_references_and_every_certificate_with_its_key_readers():
    estate = workflow_estate()
    current = workflow.wfm_farms(estate)["wfm"].current
    estate.hosts["wfm01"].store("LocalMachine", "My").get(current).grant_key_read("BUILTIN\\Administrators")
    outcome = run(estate, "wfm_host_get", {"ServiceUri": "HTTPS://WFM.LAB.TEST:12290"})
    output = outcome.output[0]
    assert (output["ServiceUri"], output["References"]) == ("HTTPS://WFM.LAB.TEST:12290", [{"Current": current, "Next": "", "Previous": ""}])
    assert [(item["Thumbprint"], item["HasPrivateKey"], item["KeyReaders"]) for item in output["Certificates"]] == [
        (current, True, [SERVICE_ACCOUNT, "BUILTIN\\Administrators"])]
    assert outcome.changed is False and outcome.warnings == []


def test_get_twin_reports_no_key_facts_for_a_key_the_caller_cannot_open():
    estate = workflow_estate()
    output = run(estate, "wfm_host_get", {}).output[0]
    assert output["Certificates"][0]["KeyReaders"] is None and output["Certificates"][0]["KeyProvider"] is None


def test_get_twin_without_service_uri_reads_only_the_store_on_any_host():
    outcome = run(workflow_estate(), "wfm_host_get", {}, host="sp01")
    assert outcome.output == [{"ServiceUri": "", "References": [], "Certificates": []}]


def test_set_twin_switches_and_rereads():
    estate = workflow_estate()
    old = workflow.wfm_farms(estate)["wfm"].current
    new = [install(estate.hosts[name], "new") for name in ("wfm01", "wfm02")][0]
    outcome = run(estate, "wfm_outbound_certificate_set", {"ServiceUri": SERVICE_URI, "Thumbprint": new})
    assert outcome.changed is True
    assert outcome.output[0]["References"] == [{"Current": new, "Next": "", "Previous": old}]


def test_set_twin_in_check_mode_changes_nothing():
    estate = workflow_estate()
    new = [install(estate.hosts[name], "new") for name in ("wfm01", "wfm02")][0]
    before = estate.to_dict()
    outcome = run(estate, "wfm_outbound_certificate_set", {"ServiceUri": SERVICE_URI, "Thumbprint": new}, check_mode=True)
    assert outcome.changed is False and estate.to_dict() == before
    assert outcome.output[0]["References"][0]["Current"] != new


@pytest.mark.parametrize("parameters,host,message", [
    ({"ServiceUri": "https://other.lab.test:12290/"}, "wfm01", "Unable to connect to the remote server https://other.lab.test:12290/"),
    ({"ServiceUri": SERVICE_URI}, "sp01", "The specified module 'WorkflowManager' was not loaded"),
], ids=["service_uri_unreachable", "not_a_wfm_host"])
def test_get_twin_fails_as_windows_does(parameters, host, message):
    with pytest.raises(CmdletError, match=message):
        run(workflow_estate(), "wfm_host_get", parameters, host=host)


@pytest.mark.parametrize("thumbprint", ["b" * 40, "B" * 39, "B" * 40 + "\u200b", "$(whoami)", ""])
def test_set_twin_validates_thumbprint_as_validatepattern_does(thumbprint):
    estate = workflow_estate()
    with pytest.raises(CmdletError, match="Cannot validate argument on parameter 'Thumbprint'"):
        run(estate, "wfm_outbound_certificate_set", {"ServiceUri": SERVICE_URI, "Thumbprint": thumbprint})


# --- invariant: the current certificate stays usable on every host --------------------------------
def test_removing_current_certificate_from_a_host_violates_invariant():
    estate = workflow_estate()
    assert workflow.unusable_current_outbound(estate) == []
    current = workflow.wfm_farms(estate)["wfm"].current
    estate.hosts["wfm02"].store("LocalMachine", "My").remove(current)
    assert workflow.unusable_current_outbound(estate) == [
        f"Workflow Manager farm wfm's current outbound certificate cannot sign on wfm02: The certificate with thumbprint '{current}' "
        "was not found in the LocalMachine\\My certificate store on wfm02."]


# --- topology hook --------------------------------------------------------------------------------
@pytest.mark.parametrize("entry,message", [
    ({"name": "wfm", "hosts": ["wfm01"]}, "products.wfm entry 'wfm' lacks service_uri, service_account, outbound_certificate"),
    ({"name": "wfm", "service_uri": SERVICE_URI, "hosts": ["nope"], "service_account": SERVICE_ACCOUNT, "outbound_certificate": "A" * 40},
     "products.wfm 'wfm': unknown hosts nope"),
])
def test_from_topology_refuses_bad_wfm_entry(entry, message):
    estate = Estate()
    estate.add_host("wfm01")
    with pytest.raises(ValueError, match=message):
        workflow.from_topology({"wfm": [entry]}, estate)


def test_from_topology_refuses_duplicate_farm_name():
    entry = {"name": "wfm", "service_uri": SERVICE_URI, "hosts": ["wfm01"], "service_account": SERVICE_ACCOUNT, "outbound_certificate": "a" * 40}
    estate = Estate()
    estate.add_host("wfm01")
    with pytest.raises(ValueError, match="farm name 'wfm' is used twice"):
        workflow.from_topology({"wfm": [entry, entry]}, estate)


def test_estate_round_trip_keeps_farms():
    estate = workflow_estate()
    again = Estate.from_dict(estate.to_dict())
    assert again.products["wfm"] == estate.products["wfm"]
    assert again.to_dict() == estate.to_dict()
