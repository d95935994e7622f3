# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The D365 / Service Fabric script twins return exactly the properties their real scripts emit.

The property names are read from the scripts themselves (every ``[PSCustomObject]@{...}`` key, with the include
fragments whose objects a script emits), so renaming a property in a script without its twin, or the other way
round, fails here. Every d365_* and servicefabric_* script has a twin and a scenario; the read scripts run in check
mode; hostile values travel through the twins as plain data.
"""
from __future__ import annotations

import functools
import json

import pytest

from certops_lab.contracts import CallContext, CmdletError
from certops_lab.estate_builder import build_estate
from certops_lab.products.service_fabric import information
from certops_lab.pytest_plugin import resolve_topology
from certops_lab.state import Estate
from certops_lab.topology import load_topology
from certops_lab.twins import powershell
from certops_lab.twins.scripts import lookup

from ansible_collections.certops.microsoft.plugins.plugin_utils._scripts import load_script
from issued_certificates import lab_ca
from script_shapes import SCRIPTS, script_property_names

SQL = {"SqlServer": "sql.d365.lab.test", "Database": "AXDB"}
HOSTILE = "C:\\x'; Remove-ServiceFabricCluster -Force; $(whoami) `n\"\n"


@functools.lru_cache(maxsize=1)
def _built() -> str:
    return json.dumps(build_estate(load_topology(resolve_topology("d365_service_fabric.yml")), lab_ca()).to_dict())


def d365_estate() -> Estate:
    """A fresh estate of the shipped thumbprint-based topology (built once: issuing its certificates is the slow part)."""
    return Estate.from_dict(json.loads(_built()))


def model(estate):
    return estate.products["service_fabric"]["d365"]


def output_property_names(value) -> set:
    """Keys of the twin's output objects, nested ones included."""
    if isinstance(value, list):
        return set().union(*(output_property_names(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return set(value).union(*(output_property_names(item) for item in value.values()))
    return set()


def run(estate, name, parameters, host="orch01", check_mode=False):
    return lookup(name)(estate, estate.hosts[host], parameters, CallContext(host=host, check_mode=check_mode)).output


def read_parameters(estate) -> dict:
    d365 = model(estate).d365
    return {"InfrastructurePath": d365["infrastructure_path"], "OldInfrastructurePath": d365["old_infrastructure_path"],
            "LocalAgentConfigPath": d365["localagent_config_path"], "LocalAgentCliPath": d365["localagent_cli_path"],
            "AgentShareConfigPath": d365["agent_share_config_path"], **SQL}


def rotated(estate) -> str:
    target = json.loads(json.dumps(model(estate).config))
    new = model(estate).d365["config_template"]
    for section in ("ClusterCertificate", "ServerCertificate"):
        information(target)[section].update(ThumbprintSecondary=information(target)[section]["Thumbprint"], Thumbprint=new["server"])
    information(target)["ClientCertificateThumbprints"].append({"CertificateThumbprint": new["client"], "IsAdmin": True})
    target["clusterConfigurationVersion"] = "2.0.0"
    return json.dumps(target)


def upgrade(estate) -> list:
    return run(estate, "servicefabric_cluster_config_upgrade", {"ClusterConfig": rotated(estate), "ClusterConfigPath": "C:\\Windows\\Temp\\c.json",
                                                                "ReplicaSetCheckTimeoutSec": 30})


def localagent(estate) -> list:
    d365 = model(estate).d365
    return run(estate, "d365_localagent_config_set", {"LocalAgentConfigPath": d365["localagent_config_path"], "LocalAgentCliPath": d365["localagent_cli_path"],
                                                      "Content": json.dumps(d365["localagent_config"]), "Marker": "A,B"})


SCENARIOS = {
    "d365_orchestrator_get": lambda estate: run(estate, "d365_orchestrator_get", read_parameters(estate)),
    "servicefabric_node_get": lambda estate: run(estate, "servicefabric_node_get", {}, "mr01"),
    "servicefabric_cluster_config_upgrade": upgrade,
    "servicefabric_cluster_upgrade_watch": lambda estate: upgrade(estate) and run(
        estate, "servicefabric_cluster_upgrade_watch", {"ReplicaSetCheckTimeoutSec": 30}),
    "d365_localagent_config_set": localagent,
    "d365_agent_share_config_set": lambda estate: run(estate, "d365_agent_share_config_set", {
        "AgentShareConfigPath": model(estate).d365["agent_share_config_path"], "Content": "{\"serviceFabric\": {}}"}),
    "d365_credentials_rotate": lambda estate: run(estate, "d365_credentials_rotate", {
        "InfrastructurePath": model(estate).d365["infrastructure_path"], "Thumbprint": model(estate).d365["config_template"]["encipherment"]}, "aos01"),
    "d365_encrypted_data_rotation_set": lambda estate: run(estate, "d365_encrypted_data_rotation_set", dict(SQL)),
}
# Scripts that emit objects an include fragment builds (a fragment whose object a script only reads is not listed).
FRAGMENTS = {"d365_orchestrator_get": ("certificate_facts", "d365_database"), "servicefabric_node_get": ("certificate_facts",),
             "d365_encrypted_data_rotation_set": ("d365_database",)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_twin_output_has_exactly_the_script_properties(name):
    assert output_property_names(SCENARIOS[name](d365_estate())) == script_property_names(name, FRAGMENTS.get(name, ()))


def test_every_d365_and_service_fabric_script_has_a_twin_and_a_scenario():
    scripts = {path.stem for path in SCRIPTS.glob("*.ps1") if path.stem.startswith(("d365_", "servicefabric_"))}
    assert scripts == set(SCENARIOS)
    assert all(lookup(name) is not None for name in scripts)


def test_the_orchestrator_read_holds_the_node_the_cluster_and_d365_in_one_object():
    output = SCENARIOS["d365_orchestrator_get"](d365_estate())
    assert len(output) == 1
    read = output[0]
    assert read["Certificates"] and json.loads(read["ClusterConfiguration"])["clusterConfigurationVersion"] == "1.0.0"
    assert read["LocalAgentVersion"] == "3.2.2.0" and "<Certificates>" in read["ConfigTemplate"] and read["JobStatus"] is None


def test_the_job_set_returns_what_the_read_returns():
    estate = d365_estate()
    written = run(estate, "d365_encrypted_data_rotation_set", dict(SQL))[0]
    read = SCENARIOS["d365_orchestrator_get"](estate)[0]
    assert written == {key: read[key] for key in ("FlightEnabled", "RotationEnabled", "JobStatus")} == {
        "FlightEnabled": "1", "RotationEnabled": "True", "JobStatus": "1"}


@pytest.mark.parametrize("name,parameter", [("d365_agent_share_config_set", "AgentShareConfigPath"), ("d365_orchestrator_get", "LocalAgentCliPath"),
                                            ("d365_credentials_rotate", "InfrastructurePath")])
def test_a_hostile_path_is_data_and_names_no_file(name, parameter):
    estate = d365_estate()
    before = estate.to_dict()
    parameters = {**read_parameters(estate), "Content": "{}", "Thumbprint": "A" * 40, parameter: HOSTILE}
    with pytest.raises(CmdletError, match="Cannot find path"):
        run(estate, name, parameters, "aos01" if name == "d365_credentials_rotate" else "orch01")
    assert estate.to_dict() == before


def test_a_hostile_sql_server_name_reaches_no_database():
    estate = d365_estate()
    with pytest.raises(CmdletError, match="A network-related or instance-specific error"):
        run(estate, "d365_encrypted_data_rotation_set", {**SQL, "SqlServer": HOSTILE})
    assert model(estate).d365["database"]["flight_enabled"] == ""


# --- through the win_powershell twin, with the real script text -----------------------------------
def win_powershell(estate, name, parameters, host, check_mode):
    """As the rotation engine calls it, with the script text it sends and its output depth (5)."""
    args = {"script": load_script(name), "parameters": parameters, "depth": 5}
    return powershell.win_powershell(estate, estate.hosts[host], args, CallContext(host=host, check_mode=check_mode))


@pytest.mark.parametrize("name,host", [("d365_orchestrator_get", "orch01"), ("servicefabric_node_get", "bi01")])
def test_read_scripts_run_in_check_mode_and_report_no_change(name, host):
    estate = d365_estate()
    before = estate.to_dict()
    result = win_powershell(estate, name, read_parameters(estate) if name == "d365_orchestrator_get" else {}, host, check_mode=True)
    assert result["changed"] is False and not result.get("failed") and len(result["output"]) == 1
    assert estate.to_dict() == before


@pytest.mark.parametrize("name", ["servicefabric_cluster_config_upgrade", "d365_localagent_config_set", "d365_encrypted_data_rotation_set"])
def test_set_scripts_in_check_mode_run_with_whatif_and_change_nothing(name):
    estate = d365_estate()
    before = estate.to_dict()
    parameters = {"servicefabric_cluster_config_upgrade": {"ClusterConfig": rotated(estate), "ClusterConfigPath": "C:\\c.json"},
                  "d365_localagent_config_set": {"LocalAgentConfigPath": model(estate).d365["localagent_config_path"],
                                                 "LocalAgentCliPath": model(estate).d365["localagent_cli_path"], "Content": "{}", "Marker": "A,B"},
                  "d365_encrypted_data_rotation_set": dict(SQL)}[name]
    result = win_powershell(estate, name, parameters, "orch01", check_mode=True)
    assert result["changed"] is False and not result.get("failed")
    assert estate.to_dict() == before
