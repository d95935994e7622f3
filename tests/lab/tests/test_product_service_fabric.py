# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's D365 cluster model: Service Fabric's upgrade rules, upgrade domains on the lab clock, the stall, invariants."""
from __future__ import annotations

import copy
import json
import tempfile

import pytest

from certops_lab import invariants
from certops_lab.contracts import CallContext, CmdletError
from certops_lab.lab import LabInstance
from certops_lab.products.service_fabric import DEFAULT_TIMEOUT, TWO_TO_TWO, ADD_AND_REMOVE, information
from certops_lab.pytest_plugin import resolve_topology
from certops_lab.topology import load_topology
from certops_lab.twins.scripts import lookup


@pytest.fixture(name="estate")
def estate_fixture():
    instance = LabInstance(load_topology(resolve_topology("d365_service_fabric.yml")), tempfile.mkdtemp())
    instance.start()
    yield instance.runtime.estate
    instance.stop()


def model(estate):
    return estate.products["service_fabric"]["d365"]


def twin(estate, name, parameters, host="orch01"):
    return lookup(name)(estate, estate.hosts[host], parameters, CallContext(host=host)).output[0]


def rotated(estate) -> dict:
    target = copy.deepcopy(model(estate).config)
    new = model(estate).d365["config_template"]
    for section in ("ClusterCertificate", "ServerCertificate"):
        information(target)[section].update(ThumbprintSecondary=information(target)[section]["Thumbprint"], Thumbprint=new["server"])
    information(target)["ClientCertificateThumbprints"].append({"CertificateThumbprint": new["client"], "IsAdmin": True})
    target["clusterConfigurationVersion"] = "2.0.0"
    return target


def start(estate, target, timeout=30):
    return twin(estate, "servicefabric_cluster_config_upgrade", {"ClusterConfig": json.dumps(target), "ClusterConfigPath": "C:\\x.json",
                                                                 "ReplicaSetCheckTimeoutSec": timeout})


def watch_until_done(estate, timeout=30, limit=20) -> list:
    reads = []
    while len(reads) < limit:
        reads.append(twin(estate, "servicefabric_cluster_upgrade_watch", {"ReplicaSetCheckTimeoutSec": timeout}))
        if reads[-1]["UpgradeState"] != "RollingForwardInProgress":
            break
    return reads


def test_upgrade_walks_the_domains_two_watch_reads_each(estate):
    assert start(estate, rotated(estate))["StartTimedOut"] is True
    reads = watch_until_done(estate)
    assert reads[-1]["UpgradeState"] == "RollingForwardCompleted" and len(reads) == 6
    assert model(estate).config["clusterConfigurationVersion"] == "2.0.0" and invariants.check_all(estate) == []


def test_single_node_type_stalls_until_the_timeout_is_set(estate):
    start(estate, rotated(estate), timeout=0)
    reads = watch_until_done(estate, timeout=0, limit=5)
    assert reads[-1]["UpgradeState"] == "RollingForwardInProgress" and model(estate).upgrade["done"] == []
    assert reads[-1]["UpgradeReplicaSetCheckTimeoutSec"] == DEFAULT_TIMEOUT
    assert watch_until_done(estate)[-1]["UpgradeState"] == "RollingForwardCompleted"


def test_timeout_resets_after_each_domain_and_the_watch_reapplies_it(estate):
    start(estate, rotated(estate))
    reads = watch_until_done(estate)
    assert sum(read["TimeoutReapplied"] for read in reads) >= 1


def test_version_must_change(estate):
    target = rotated(estate)
    target["clusterConfigurationVersion"] = "1.0.0"
    with pytest.raises(CmdletError, match="is the current version"):
        start(estate, target)


def test_two_different_certificates_to_two_different_certificates_is_refused(estate):
    start(estate, rotated(estate))
    watch_until_done(estate)
    target = rotated(estate)
    for section in ("ClusterCertificate", "ServerCertificate"):
        information(target)[section].update(Thumbprint="A" * 40, ThumbprintSecondary="B" * 40)
    target["clusterConfigurationVersion"] = "3.0.0"
    with pytest.raises(CmdletError, match=TWO_TO_TWO):
        start(estate, target)


def test_adding_and_removing_at_once_is_refused(estate):
    target = copy.deepcopy(model(estate).config)
    for section in ("ClusterCertificate", "ServerCertificate"):
        information(target)[section]["Thumbprint"] = model(estate).d365["config_template"]["server"]
    target["clusterConfigurationVersion"] = "2.0.0"
    with pytest.raises(CmdletError, match=ADD_AND_REMOVE):
        start(estate, target)


def test_upgrade_rolls_back_on_request(estate):
    model(estate).rollback_upgrades = 1
    start(estate, rotated(estate))
    assert watch_until_done(estate)[-1]["UpgradeState"] == "RollingBackCompleted"
    assert model(estate).config["clusterConfigurationVersion"] == "1.0.0"


def test_removing_the_cluster_certificate_is_a_violation(estate):
    thumbprint = information(model(estate).config)["ClusterCertificate"]["Thumbprint"]
    estate.hosts["aos02"].store("LocalMachine", "My").remove(thumbprint)
    found = {violation.invariant for violation in invariants.check_all(estate)}
    assert {"service_fabric_node_has_its_cluster_certificate", "d365_certificate_in_use_kept"} <= found


def test_removing_the_old_data_encryption_certificate_before_the_job_is_data_loss(estate):
    old = model(estate).d365["applications"]["data_encryption"]
    estate.hosts["aos01"].store("LocalMachine", "My").remove(old)
    assert "d365_data_encryption_certificate_kept_until_job_done" in {violation.invariant for violation in invariants.check_all(estate)}


def test_credentials_rotate_runs_only_on_an_aos_node(estate):
    with pytest.raises(CmdletError, match="must be run from an AOS node"):
        twin(estate, "d365_credentials_rotate", {"InfrastructurePath": model(estate).d365["infrastructure_path"], "Thumbprint": "A" * 40})
