# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the D365 on Service Fabric rules (module_utils/_products/d365_service_fabric*.py) on recorded states.

Each read below is what the read phase registers for a node: the output of its one read script
(d365_orchestrator_get on the first node, servicefabric_node_get on the others), normalised. The cluster
configuration and ConfigTemplate.xml are the real-shaped documents of the transform tests (old server
AA11..., old client CC22...; new server BB33..., client DD44..., encipherment EE55..., data encryption
FF66..., data signing A077...).
"""
from __future__ import annotations

import datetime
import json
import pathlib

import jsonschema
import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric as rules
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric_config as clusterconfig

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "d365_service_fabric"
SCHEMA = json.loads((pathlib.Path(__file__).resolve().parents[5] / "docs" / "schemas" / "plan-v1.json").read_text(encoding="utf-8"))
NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)
HOSTS = ("orch01", "orch02", "aos01", "aos02", "mr01", "bi01")
ACCOUNT = "LAB\\svc-AXSF$"
NEW = {"server": "BB33" * 10, "client": "DD44" * 10, "encipherment": "EE55" * 10, "data_encryption": "FF66" * 10, "data_signing": "A077" * 10}
OLD = {"server": "AA11" * 10, "client": "CC22" * 10, "encipherment": "E0E0" * 10, "data_encryption": "F0F0" * 10, "data_signing": "A0A0" * 10}
LCS_ROLES = ("client", "data_encryption", "data_signing", "encipherment")
TEMPLATE = (FIXTURES / "configtemplate.xml").read_text(encoding="utf-8")
OLD_TEMPLATE = "<Config><Certificates>" + "".join(
    f'<Certificate type="{kind}"><Thumbprint>{OLD[role]}</Thumbprint></Certificate>'
    for role, kind in (("server", "ServiceFabric"), ("client", "ServiceFabricClient"), ("encipherment", "ServiceFabricEncryption"),
                       ("data_encryption", "DataEncryption"), ("data_signing", "DataSigning"))) + "</Certificates></Config>"


def thumbprint_config() -> dict:
    return json.loads((FIXTURES / "clusterconfig_thumbprint.json").read_text(encoding="utf-8"))


def node_output(thumbprints=None, readers=(ACCOUNT,)) -> dict:
    """servicefabric_node_get: every certificate of LocalMachine\\My (no DER needed here: validity comes from PFX reports)."""
    held = thumbprints if thumbprints is not None else list(OLD.values()) + list(NEW.values())
    return {"ComputerName": "NODE", "Certificates": [{"Thumbprint": value, "Certificate": "", "HasPrivateKey": True, "KeyReaders": list(readers)}
                                                     for value in held]}


def agent(server: str, client: str) -> str:
    return json.dumps({"serviceFabric": {"certificateSettings": {"serverCertThumbprint": server, "clientCertThumbprint": client}}})


def orchestrator_output(config=None, applications=None, **d365) -> dict:
    """d365_orchestrator_get of a cluster before the rotation unless overridden."""
    config = config or thumbprint_config()
    values = {"ConfigTemplate": TEMPLATE, "OldConfigTemplate": OLD_TEMPLATE, "LocalAgentConfig": agent(OLD["server"], OLD["client"]),
              "LocalAgentCleanup": "", "LocalAgentVersion": "3.2.3.0", "AgentShareConfig": "", "CredentialsRotatedTo": "",
              "FlightEnabled": None, "RotationEnabled": None, "JobStatus": None, "CodeVersion": "7.2.457.9590",
              "UpgradeState": "RollingForwardCompleted"}
    values.update(d365)
    thumbprints = [{"Name": f"{role}Thumbprint", "Value": value} for role, value in (applications or {}).items()]
    values.update(node_output(), ClusterConfiguration=json.dumps(config), ConfigVersion=config["clusterConfigurationVersion"], UpgradeDomains=[],
                  UpgradeReplicaSetCheckTimeoutSec=30, HealthState="Ok", Applications=[{"ApplicationName": "fabric:/AXSF", "Thumbprints": thumbprints}])
    return values


def read(host: str, output: dict) -> dict:
    role = rules.host_role(host, params(), {"groups": context()["groups"]})
    ((part, _script, _parameters),) = rules.read_requests(role, params())
    return {"role": role, "state": {part: rules.normalise(part, output)}}


def reads(primary=None, **nodes) -> dict:
    found = {host: read(host, nodes.get(host) or node_output()) for host in HOSTS[1:]}
    return {"orch01": read("orch01", primary or orchestrator_output()), **found}


def context() -> dict:
    return {"groups": {"sf_node": list(HOSTS)}, "play_hosts": list(HOSTS), "now": NOW}


def params(**overrides) -> dict:
    values = {name: spec.get("default") for name, spec in rules.ARGUMENT_SPEC.items()}
    values.update(infrastructure_path="\\\\fs01\\Infrastructure", old_infrastructure_path="\\\\fs01\\InfrastructureOld",
                  localagent_config_path="C:\\LocalAgent\\localagent-config.json", localagent_cli_path="C:\\LocalAgent", sql_server="sql01",
                  backup_confirmed=True, service_accounts=[ACCOUNT], cleanup=False, other_certificates=["placeholder"])
    values.update(overrides)
    values["other_certificates"] = [path for path in values["other_certificates"] if path != "placeholder"]
    return values


def plan(recorded=None, **overrides) -> dict:
    return rules.plan(params(**overrides), recorded if recorded is not None else reads(), context()).to_dict()


def refusal(recorded=None, **overrides) -> str:
    with pytest.raises(CertopsError) as caught:
        rules.plan(params(**overrides), recorded if recorded is not None else reads(), context())
    message = str(caught.value)
    assert message.startswith("preflight: ") and message.endswith("Nothing was changed.")
    return message


def rotated_config(cleaned: bool = False) -> dict:
    config = clusterconfig.rotated(thumbprint_config(), NEW["server"], NEW["client"])
    return clusterconfig.cleaned(config, [OLD["client"]]) if cleaned else config


def rotated_output(**changes) -> dict:
    """The first node once the run to the gate, the LCS step and the job are done."""
    values = {"config": rotated_config(), "applications": {role: NEW[role] for role in LCS_ROLES},
              "LocalAgentConfig": agent(NEW["server"], NEW["client"]), "LocalAgentCleanup": f"{NEW['server']},{NEW['client']}",
              "CredentialsRotatedTo": NEW["encipherment"], "FlightEnabled": "1", "RotationEnabled": "True", "JobStatus": "4"}
    values.update(changes)
    return orchestrator_output(**values)


# --- reads --------------------------------------------------------------------------------------------
def test_every_node_is_read_in_one_execution_and_the_first_reads_the_cluster_and_d365_with_it():
    assert [(part, script) for part, script, _parameters in rules.read_requests("primary", params())] == [("primary", "d365_orchestrator_get")]
    assert rules.read_requests("node", params()) == [("node", "servicefabric_node_get", {})]
    assert rules.host_role("orch01", params(), {"groups": context()["groups"]}) == "primary"
    assert rules.host_role("other", params(), {"groups": context()["groups"]}) is None


def test_the_orchestrator_read_is_normalised_into_node_cluster_and_d365_parts():
    state = rules.normalise("primary", orchestrator_output())
    assert set(state) == {"node", "cluster", "d365"}
    assert state["cluster"]["config"]["clusterConfigurationVersion"] == "1.0.0" and state["d365"]["localagent_version"] == "3.2.3.0"
    assert set(state["node"]["certificates"]) == set(OLD.values()) | set(NEW.values())
    assert rules.parts_of({"node": rules.normalise("node", node_output())["node"]}) == {"certificates": state["node"]["certificates"]}


# --- the plan -------------------------------------------------------------------------------------------
def test_a_thumbprint_cluster_plans_the_upgrade_localagent_and_credentials_in_order_then_stops_at_lcs():
    document = plan()
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)) == []
    assert [(step["id"], step["host"], step["wave"]) for step in document["steps"]] == [
        ("cluster-rotate", "orch01", 1), ("localagent", "orch01", 1), ("credentials", "aos01", 2)]
    assert document["status"] == "manual_gate" and document["cleanup"] == []
    assert set(document["manual_gates"][0]["values"].values()) == {NEW[role] for role in LCS_ROLES}
    upgraded = json.loads(document["steps"][0]["parameters"]["ClusterConfig"])
    assert clusterconfig.primary_thumbprint(upgraded) == NEW["server"] and clusterconfig.secondary_thumbprint(upgraded) == OLD["server"]


def test_localagent_3_2_2_also_updates_config_json_on_the_agent_share():
    primary = orchestrator_output(LocalAgentVersion="3.2.2.0", AgentShareConfig=agent(OLD["server"], OLD["client"]))
    document = plan(reads(primary), agent_share_config_path="\\\\fs01\\agent\\wp\\env\\StandaloneSetup-1\\config.json")
    assert [step["id"] for step in document["steps"]] == ["cluster-rotate", "localagent", "agent-share-config", "credentials"]


def test_after_lcs_the_job_is_enabled_and_the_plan_waits_for_it():
    document = plan(reads(rotated_output(FlightEnabled=None, RotationEnabled=None, JobStatus=None)))
    assert [step["id"] for step in document["steps"]] == ["encrypted-data-rotation"]
    assert document["waits"][0]["id"] == "encrypted-data-rotation-job" and document["manual_gates"] == []


def test_a_completed_rotation_plans_nothing_and_sets_cleanup_aside_data_encryption_last():
    document = plan(reads(rotated_output()))
    assert document["steps"] == [] and document["waits"] == [] and document["status"] == "converged"
    cleanup = document["cleanup"]
    assert cleanup[0]["id"] == "cluster-cleanup" and all(step["irreversible"] for step in cleanup)
    removals = [step for step in cleanup if step["module"]]
    assert {step["module_args"]["thumbprint"] for step in removals} == set(OLD.values())
    assert {step["module_args"]["thumbprint"] for step in removals if step["wave"] == max(item["wave"] for item in cleanup)} == {OLD["data_encryption"]}


def test_a_cleanup_upgrade_whose_answer_was_lost_is_watched_and_the_old_server_certificate_still_removed():
    primary = rotated_output(config=rotated_config(cleaned=True), UpgradeState="RollingForwardInProgress")
    document = plan(reads(primary), cleanup=True)
    assert [step["id"] for step in document["steps"]] == ["cluster-watch"]
    assert "cluster-cleanup" not in [step["id"] for step in document["cleanup"]]
    assert OLD["server"] in {step["module_args"]["thumbprint"] for step in document["cleanup"] if step["module"]}


def test_verify_facts_of_a_completed_rotation_match_what_the_plan_expects():
    recorded = reads(rotated_output())
    document = plan(recorded)
    for host in HOSTS:
        found = rules.facts(recorded[host]["role"], recorded[host]["state"], document)
        assert {key: found[key] for key in document["expected"][host]} == document["expected"][host], host


# --- refusals before any change --------------------------------------------------------------------------------
def with_secondary() -> dict:
    config = thumbprint_config()
    for section in ("ClusterCertificate", "ServerCertificate"):
        config["properties"]["security"]["CertificateInformation"][section]["ThumbprintSecondary"] = "9999" * 10
    return reads(orchestrator_output(config=config))


def first_node_not_an_orchestrator() -> dict:
    config = thumbprint_config()
    config["nodes"][0]["nodeTypeRef"] = "MRType"
    return reads(orchestrator_output(config=config))


REFUSALS = [
    ("no_backup_confirmation", lambda: (reads(), {"backup_confirmed": False}), "backup is not confirmed"),
    ("service_fabric_7_1", lambda: (reads(orchestrator_output(CodeVersion="7.1.503.9590")), {}), "must not be carried out on 7.0.x or 7.1.x"),
    ("leftover_secondary", lambda: (with_secondary(), {}), "still has a ThumbprintSecondary"),
    ("missing_on_one_node", lambda: (reads(mr01=node_output(list(OLD.values()))), {}), "on mr01"),
    ("key_not_readable", lambda: (reads(aos02=node_output(readers=("LAB\\someone",))), {}), "cannot read the private key"),
    ("cleanup_before_lcs", lambda: (reads(), {"cleanup": True}), "cleanup before the rotation is complete"),
    ("cleanup_before_job_done", lambda: (reads(rotated_output(JobStatus="1")), {"cleanup": True}),
     "cleanup before the encrypted data rotation job is done"),
    ("first_node_not_orchestrator", lambda: (first_node_not_an_orchestrator(), {}), "put an Orchestrator node first"),
    ("agent_share_missing_for_3_2_2", lambda: (reads(orchestrator_output(LocalAgentVersion="3.2.2.0")), {}), "also needs config.json"),
    ("node_unreachable", lambda: ({**reads(), "bi01": {"role": "node", "state": None, "read_error": "timed out", "unreachable_host": True}}, {}),
     "bi01 is unreachable over WinRM (timed out)"),
]


@pytest.mark.parametrize("recorded, expected", [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_bad_estates_and_inputs_are_refused_with_the_fix(recorded, expected):
    estate, overrides = recorded()
    assert expected in refusal(estate, **overrides)
