# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Dynamics 365 Finance + Operations on-premises cluster on Service Fabric: model, topology, invariants.

What it reproduces (Microsoft Learn: certificate-rotation-on-prem, onprem-update-sfcluster; the
standalone cluster configuration, service-fabric-windows-cluster-x509-security):
- node types (Orchestrator, AOS, MR, a single-node ReportServerType (SSRS), ...) over upgrade
  domains, the code version, and a cluster configuration that is thumbprint-based
  (Thumbprint, ThumbprintSecondary, ClientCertificateThumbprints with IsAdmin,
  clusterConfigurationVersion) or common-name-based;
- Start-ServiceFabricClusterConfigurationUpgrade with the real refusals: the version must change,
  "Upgrading from two different certificates to two different certificates is not allowed",
  "Certificates cannot be added and removed at the same time", one upgrade at a time; it answers
  "Operation timed out" while the upgrade goes on;
- the upgrade walks the upgrade domains on the lab clock, ``upgrade_domain_minutes`` each. The lab
  clock is frozen, so each read of the upgrade by the watch script (servicefabric_cluster_upgrade_watch)
  first moves the lab clock by ``watch_read_advances``: with the defaults (10 and 5 minutes) every
  second watch read completes a domain, the same on every run. A domain holding a node of a
  single-node type stalls in its safety check until UpgradeReplicaSetCheckTimeoutSec is set
  (Update-ServiceFabricClusterUpgrade), and with ``replica_check_timeout_resets`` the setting goes
  back to its default (49710.06:28:15) after each domain, as the D365 page warns. A node that
  lacks the new certificate, or ``rollback_upgrades`` (a count), rolls the upgrade back;
- D365: localagent-config.json and LocalAgentCLI.exe Cleanup on the orchestrator, the LocalAgent
  version (config.json on the agent share matters up to 3.2.2), Credentials.json encrypted with the
  axdataencipherment certificate, the business database rows of the encrypted-data rotation job
  and the job (a quarter of the data re-encrypted per lab day), ConfigTemplate.xml (new and old)
  in the Infrastructure folders, and the thumbprints the cluster's applications use, which only
  LCS "Update Settings" changes (``lcs_update_settings``, what a test does in the person's place).

Topology (``products: service_fabric:``)::

    service_fabric:
      name: d365
      layout: thumbprint                       # or common_name (then common_name: sf.d365.lab.test)
      code_version: 7.2.457.9590
      nodes: {orch01: {node_type: OrchestratorType, upgrade_domain: ud0}, ...}
      server_certificate: cert:sf-old          # thumbprint layout: the cluster/server certificate
      client_certificate: cert:client-old
      upgrade_domain_minutes: 10
      watch_read_advances: 5m
      rollback_upgrades: 0
      replica_check_timeout_resets: true
      d365:
        localagent_version: 3.2.3.0
        infrastructure_path: \\\\fs\\infrastructure
        old_infrastructure_path: \\\\fs\\InfrastructureOld
        localagent_config_path: C:\\LocalAgent\\localagent-config.json
        localagent_cli_path: C:\\LocalAgent
        agent_share_config_path: ""            # \\\\fs\\agent\\wp\\<env>\\StandaloneSetup-1\\config.json
        config_template: {server: cert:sf-new, client: ..., encipherment: ..., data_encryption: ..., data_signing: ...}
        old_config_template: {...the old ones...}
        applications: {client: cert:client-old, data_encryption: ..., data_signing: ..., encipherment: ...}
"""
from __future__ import annotations

import copy
import datetime
from dataclasses import asdict, dataclass, field

from certops_lab.clock import isoformat, parse_instant, parse_offset
from certops_lab.contracts import CmdletError
from certops_lab.invariants import invariant
from certops_lab.state import product_codec

TOPOLOGY_SECTIONS = ("service_fabric",)
DEFAULT_TIMEOUT = 4294967295          # UInt32.MaxValue seconds = 49710.06:28:15
TWO_TO_TWO = "Upgrading from two different certificates to two different certificates is not allowed."
ADD_AND_REMOVE = "Certificates cannot be added and removed at the same time."
JOB_SHARE_PER_DAY = 25
SERVER_SECTIONS = ("ClusterCertificate", "ServerCertificate")


def information(config: dict) -> dict:
    return config["properties"]["security"]["CertificateInformation"]


def servers(config: dict) -> set:
    return {value.upper() for section in SERVER_SECTIONS for key in ("Thumbprint", "ThumbprintSecondary")
            for value in [information(config).get(section, {}).get(key)] if value}


def clients(config: dict) -> set:
    return {entry["CertificateThumbprint"].upper() for entry in information(config).get("ClientCertificateThumbprints") or []}


@dataclass
class Cluster:
    """One D365 cluster; ``config`` is the applied ClusterConfig.json document, ``upgrade`` the one under way."""
    name: str
    layout: str
    code_version: str
    nodes: dict
    config: dict
    upgrade: dict = field(default_factory=dict)
    last_upgrade_state: str = "RollingForwardCompleted"
    replica_timeout: int = DEFAULT_TIMEOUT
    upgrade_domain_minutes: int = 10
    watch_read_advances: str = "5m"
    rollback_upgrades: int = 0
    replica_check_timeout_resets: bool = True
    common_name: str = ""
    d365: dict = field(default_factory=dict)

    # --- views ------------------------------------------------------------------------------
    def effective_config(self) -> dict:
        """What Get-ServiceFabricClusterConfiguration returns: the target while rolling forward."""
        return self.upgrade["target"] if self.upgrade else self.config

    def upgrade_state(self) -> str:
        return self.upgrade["state"] if self.upgrade else self.last_upgrade_state

    def domains(self) -> list:
        return sorted({node["upgrade_domain"] for node in self.nodes.values()})

    def single_node_types(self) -> set:
        counts = {}
        for node in self.nodes.values():
            counts[node["node_type"]] = counts.get(node["node_type"], 0) + 1
        return {name for name, count in counts.items() if count == 1}

    def domain_status(self) -> list:
        done = self.upgrade.get("done", []) if self.upgrade else self.domains()
        return [f"{domain}={'Completed' if domain in done else 'Pending'}" for domain in self.domains()]

    def config_for(self, host: str) -> list:
        """The configurations a node must satisfy now: during an upgrade, both until its domain is done."""
        if not self.upgrade:
            return [self.config]
        if self.nodes[host]["upgrade_domain"] in self.upgrade["done"]:
            return [self.upgrade["target"]]
        return [self.config, self.upgrade["target"]]

    # --- Start-ServiceFabricClusterConfigurationUpgrade ------------------------------------------
    def start_upgrade(self, target: dict, now) -> None:
        if self.upgrade:
            raise CmdletError("The cluster is already being upgraded: wait for the current upgrade to complete (Get-ServiceFabricClusterUpgrade).")
        if str(target.get("clusterConfigurationVersion")) == str(self.config.get("clusterConfigurationVersion")):
            raise CmdletError(f"The cluster configuration version {target.get('clusterConfigurationVersion')} is the current version; "
                              "change clusterConfigurationVersion to start an upgrade.")
        if self.layout == "thumbprint":
            self.check_certificate_change(target)
        self.upgrade = {"target": copy.deepcopy(target), "done": [], "state": "RollingForwardInProgress", "domain_started": isoformat(now),
                        "rollback_at": 1 if self.rollback_upgrades > 0 else None}
        self.rollback_upgrades = max(0, self.rollback_upgrades - 1)

    def check_certificate_change(self, target: dict) -> None:
        before, after = servers(self.config), servers(target)
        if len(before) == 2 and after != before and len(after) == 2:
            raise CmdletError(TWO_TO_TWO)
        old, new = before | clients(self.config), servers(target) | clients(target)
        if new - old and old - new:
            raise CmdletError(ADD_AND_REMOVE)

    # --- progress on the lab clock -----------------------------------------------------------
    def stalled(self, domain: str) -> bool:
        single = self.single_node_types()
        return self.replica_timeout >= DEFAULT_TIMEOUT and any(
            node["upgrade_domain"] == domain and node["node_type"] in single for node in self.nodes.values())

    def advance(self, estate, now) -> None:
        while self.upgrade and self.upgrade["state"] == "RollingForwardInProgress":
            domain = self.domains()[len(self.upgrade["done"])]
            started = parse_instant(self.upgrade["domain_started"])
            if self.stalled(domain):
                self.upgrade["domain_started"] = isoformat(now)
                return
            finished = started + datetime.timedelta(minutes=self.upgrade_domain_minutes)
            if finished > now:
                return
            self.finish_domain(estate, domain, finished)

    def finish_domain(self, estate, domain: str, finished) -> None:
        if self.upgrade["rollback_at"] == len(self.upgrade["done"]) or self.domain_lacks_certificate(estate, domain):
            self.last_upgrade_state, self.upgrade = "RollingBackCompleted", {}
            return
        self.upgrade["done"].append(domain)
        self.upgrade["domain_started"] = isoformat(finished)
        if self.replica_check_timeout_resets:
            self.replica_timeout = DEFAULT_TIMEOUT
        if len(self.upgrade["done"]) == len(self.domains()):
            self.config, self.upgrade, self.last_upgrade_state = self.upgrade["target"], {}, "RollingForwardCompleted"

    def domain_lacks_certificate(self, estate, domain: str) -> bool:
        target = self.upgrade["target"]
        return any(not node_has_cluster_certificate(estate, host, self, target)
                   for host, node in self.nodes.items() if node["upgrade_domain"] == domain)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Cluster":
        return cls(**data)


# --- certificates on the nodes ---------------------------------------------------------------------
def usable(estate, host: str, thumbprint: str) -> bool:
    entry = estate.hosts[host].store("LocalMachine", "My").get(str(thumbprint or "").upper())
    return bool(entry is not None and entry.has_private_key and entry.certificate.not_valid_after_utc > estate.clock)


def common_name_match(estate, host: str, name: str) -> bool:
    for entry in estate.hosts[host].store("LocalMachine", "My").entries.values():
        subject = entry.certificate.subject.rfc4514_string().lower()
        if f"cn={name}".lower() in subject.split(",") and usable(estate, host, entry.thumbprint):
            return True
    return False


def node_has_cluster_certificate(estate, host: str, cluster: Cluster, config: dict) -> bool:
    if cluster.layout == "common_name":
        return common_name_match(estate, host, cluster.common_name)
    primary = information(config)["ClusterCertificate"]
    return any(usable(estate, host, primary.get(key)) for key in ("Thumbprint", "ThumbprintSecondary"))


def clusters(estate) -> dict:
    return estate.products.setdefault("service_fabric", {})


def cluster_of(estate, host: str, cmdlet: str) -> Cluster:
    for cluster in clusters(estate).values():
        if host in cluster.nodes:
            return cluster
    raise CmdletError(f"The term '{cmdlet}' is not recognized as the name of a cmdlet, function, script file, or operable program.")


def lcs_update_settings(estate, values: dict) -> None:
    """LCS "Update Settings", as the person does it: the applications use the given thumbprints from now on."""
    for cluster in clusters(estate).values():
        database = cluster.d365["database"]
        old_encryption = cluster.d365["applications"].get("data_encryption")
        cluster.d365["applications"].update({role: str(value).upper() for role, value in values.items()})
        new_encryption = cluster.d365["applications"].get("data_encryption")
        if new_encryption != old_encryption:
            database["encrypted_with"] = sorted(set(database["encrypted_with"]) | {new_encryption})


def job_progress(cluster: Cluster, now) -> int:
    database = cluster.d365["database"]
    if not database.get("job_started"):
        return 0
    days = (now - parse_instant(database["job_started"])).days
    return min(100, days * JOB_SHARE_PER_DAY)


def job_status(cluster: Cluster, now) -> str:
    """BATCHJOB.STATUS of the "Encrypted data rotation system job": none until enabled, 1 waiting, 4 finished."""
    if not cluster.d365["database"].get("job_started"):
        return ""
    return "4" if job_progress(cluster, now) >= 100 else "1"


# --- topology ------------------------------------------------------------------------------------------
def thumbprint_config(name: str, nodes: dict, server: str, client: str) -> dict:
    """A ClusterConfig.json of the shape Get-ServiceFabricClusterConfiguration returns for a thumbprint-secured cluster."""
    return {"name": name, "clusterConfigurationVersion": "1.0.0", "apiVersion": "10-2017",
            "nodes": [{"nodeName": host, "iPAddress": f"10.0.0.{index + 10}", "nodeTypeRef": node["node_type"], "faultDomain": f"fd:/fd{index % 3}",
                       "upgradeDomain": node["upgrade_domain"]} for index, (host, node) in enumerate(nodes.items())],
            "properties": {"security": {"metadata": "The Credential type X509 indicates this cluster is secured using X509 Certificates.",
                                        "ClusterCredentialType": "X509", "ServerCredentialType": "X509",
                                        "CertificateInformation": {"ClusterCertificate": {"Thumbprint": server, "X509StoreName": "My"},
                                                                   "ServerCertificate": {"Thumbprint": server, "X509StoreName": "My"},
                                                                   "ClientCertificateThumbprints": [{"CertificateThumbprint": client, "IsAdmin": True}]}},
                           "nodeTypes": [{"name": kind, "isPrimary": kind.startswith("Orchestrator")}
                                         for kind in dict.fromkeys(node["node_type"] for node in nodes.values())]}}


def common_name_config(name: str, nodes: dict, common_name: str, client_name: str) -> dict:
    config = thumbprint_config(name, nodes, "", "")
    information(config).clear()
    information(config).update({
        "ClusterCertificateCommonNames": {"CommonNames": [{"CertificateCommonName": common_name}], "X509StoreName": "My"},
        "ServerCertificateCommonNames": {"CommonNames": [{"CertificateCommonName": common_name}], "X509StoreName": "My"},
        "ClientCertificateCommonNames": [{"CertificateCommonName": client_name, "IsAdmin": True}]})
    return config


def d365_from_topology(section: dict, client: str) -> dict:
    d365 = dict(section.get("d365") or {})
    applications = {role: str(value).upper() for role, value in (d365.get("applications") or {}).items()}
    agent = {"serviceFabric": {"connectionEndpoint": "10.0.0.10:19000", "clusterId": "Orch",
                               "certificateSettings": {"serverCertThumbprint": str(section.get("server_certificate") or "").upper(),
                                                       "clientCertThumbprint": client}}}
    return {"localagent_version": str(d365.get("localagent_version") or "3.2.3.0"), "infrastructure_path": d365.get("infrastructure_path", ""),
            "old_infrastructure_path": d365.get("old_infrastructure_path", ""), "localagent_config_path": d365.get("localagent_config_path", ""),
            "localagent_cli_path": d365.get("localagent_cli_path", ""), "agent_share_config_path": d365.get("agent_share_config_path", ""),
            "localagent_config": agent, "agent_share_config": copy.deepcopy(agent) if d365.get("agent_share_config_path") else None,
            "localagent_cleanup": "", "cleanups": 0,
            "config_template": {role: str(value).upper() for role, value in (d365.get("config_template") or {}).items()},
            "old_config_template": {role: str(value).upper() for role, value in (d365.get("old_config_template") or {}).items()},
            "credentials": {"encrypted_with": applications.get("encipherment", ""), "marker": ""},
            "applications": applications,
            "database": {"flight_enabled": "", "rotation_enabled": "", "job_started": "", "encrypted_with": [applications.get("data_encryption", "")]}}


def cluster_from_entry(section: dict, estate) -> Cluster:
    nodes = section.get("nodes") or {}
    unknown = [host for host in nodes if host not in estate.hosts]
    if not nodes or unknown:
        raise ValueError(f"products.service_fabric: nodes must name topology hosts (unknown: {', '.join(unknown) or 'no nodes given'})")
    layout = section.get("layout", "thumbprint")
    if layout not in ("thumbprint", "common_name"):
        raise ValueError("products.service_fabric.layout: use thumbprint or common_name")
    client = str(section.get("client_certificate") or "").upper()
    name = section.get("name", "d365")
    config = (thumbprint_config(name, nodes, str(section.get("server_certificate") or "").upper(), client) if layout == "thumbprint"
              else common_name_config(name, nodes, section.get("common_name", ""), section.get("client_common_name", "")))
    return Cluster(name=name, layout=layout, code_version=str(section.get("code_version", "7.2.457.9590")), nodes=dict(nodes), config=config,
                   upgrade_domain_minutes=int(section.get("upgrade_domain_minutes", 10)), watch_read_advances=section.get("watch_read_advances", "5m"),
                   rollback_upgrades=int(section.get("rollback_upgrades", 0)),
                   replica_check_timeout_resets=bool(section.get("replica_check_timeout_resets", True)),
                   common_name=section.get("common_name", ""), d365=d365_from_topology(section, client))


def from_topology(products: dict, estate) -> dict:
    section = products.get("service_fabric") or {}
    parse_offset(section.get("watch_read_advances", "5m"))
    cluster = cluster_from_entry(section, estate)
    estate.products["service_fabric"] = {cluster.name: cluster}
    return estate.products["service_fabric"]


def to_dict(products: dict) -> dict:
    return {"service_fabric": {name: cluster.to_dict() for name, cluster in products.get("service_fabric", {}).items()}}


def from_dict(data: dict) -> dict:
    return {"service_fabric": {name: Cluster.from_dict(item) for name, item in data.get("service_fabric", {}).items()}}


product_codec(("service_fabric",), to_dict, from_dict)


# --- invariants ------------------------------------------------------------------------------------------
@invariant("service_fabric_node_has_its_cluster_certificate")
def nodes_without_cluster_certificate(estate) -> list:
    """A node whose configured cluster certificate is missing or expired takes the cluster down."""
    messages = []
    for cluster in clusters(estate).values():
        for host in cluster.nodes:
            if not all(node_has_cluster_certificate(estate, host, cluster, config) for config in cluster.config_for(host)):
                messages.append(f"cluster {cluster.name}: node {host} has no usable certificate of its cluster configuration: the node "
                                "drops out of the cluster")
    return messages


def referenced(cluster: Cluster) -> set:
    """Every certificate something still uses: the cluster configurations, LocalAgent, Credentials.json, the applications."""
    found = set(cluster.d365["applications"].values()) | {cluster.d365["credentials"]["encrypted_with"]}
    found |= set(cluster.d365["localagent_config"]["serviceFabric"]["certificateSettings"].values())
    if cluster.layout == "thumbprint":
        for config in [cluster.config] + ([cluster.upgrade["target"]] if cluster.upgrade else []):
            found |= servers(config) | clients(config)
    return {value for value in found if value}


@invariant("d365_certificate_in_use_kept")
def removed_while_in_use(estate) -> list:
    """Removing any old certificate before the rotation is complete is a violation."""
    messages = []
    for cluster in clusters(estate).values():
        for thumbprint in sorted(referenced(cluster)):
            missing = [host for host in cluster.nodes if not usable(estate, host, thumbprint)]
            if missing:
                messages.append(f"cluster {cluster.name}: certificate {thumbprint} is still in use but not usable on {', '.join(missing)}")
    return messages


@invariant("d365_data_encryption_certificate_kept_until_job_done")
def encrypted_data_lost(estate) -> list:
    """Data encrypted with a data-encryption certificate that is gone from an AOS node is lost."""
    messages = []
    for cluster in clusters(estate).values():
        database = cluster.d365["database"]
        holders = database["encrypted_with"] if job_progress(cluster, estate.clock) < 100 else [cluster.d365["applications"].get("data_encryption")]
        aos = [host for host, node in cluster.nodes.items() if "aos" in node["node_type"].lower()]
        for thumbprint in [value for value in holders if value]:
            missing = [host for host in aos if not usable(estate, host, thumbprint)]
            if missing:
                messages.append(f"cluster {cluster.name}: data is still encrypted with {thumbprint}, which is gone from {', '.join(missing)}: "
                                "encrypted fields are lost")
    return messages
