#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.d365_service_fabric_rotation action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: d365_service_fabric_rotation
short_description: Rotate the certificates of a Dynamics 365 Finance + Operations on-premises Service Fabric cluster (rotation engine)
version_added: 0.3.0
description:
  - One phase of the rotation engine (O(phase)) for D365 Finance + Operations on-premises; the role
    M(certops.microsoft.d365_service_fabric) (role) runs the phases in order and is the way to use it.
  - V(read) reads, on every node, the certificates of C(LocalMachine\My) with their key readers; on the first node (an Orchestrator
    node) also the cluster configuration, the cluster upgrade, the thumbprints the applications use, ConfigTemplate.xml,
    localagent-config.json, the LocalAgent version, config.json on the agent share and the encrypted-data rotation job.
  - V(plan) follows the documented order (certificate-rotation-on-prem) - new certificates on every node, the cluster configuration
    upgrade (thumbprint-based clusters; watched until C(RollingForwardCompleted)), LocalAgent, config.json (LocalAgent 3.2.2 and older),
    Credentials.json, then the manual gate LCS C(Update Settings) with the exact thumbprints, then the encrypted-data rotation job.
    Cleanup (old thumbprints, then old certificates, the data-encryption certificate last) is planned only once the job is done.
  - Service Fabric 7.0 and 7.1, a leftover C(ThumbprintSecondary), missing certificates or key access, expired certificates and an
    unconfirmed database backup are refused before any change.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - ansible.windows on the controller; C(cryptography) on the controller
  - Service Fabric 7.2 or later (module C(ServiceFabric)), the D365 LocalAgent, the Infrastructure scripts and the C(SqlServer) module on the nodes
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.windows_action
  - certops.microsoft.rotation
attributes:
  check_mode:
    details:
      - The read and plan phases run in check mode and change nothing (one read per node); the plan phase reports C(changed)
        when the plan has steps and prints the manual gate. The apply and verify phases make no call in check mode.
options:
  group:
    description: Inventory group of every Service Fabric node; its first host must be an Orchestrator node.
    type: str
    default: sf_node
  certificates:
    description:
      - The new certificates by role (C(server), C(client), C(encipherment), C(data_encryption), C(data_signing)) as thumbprints.
    type: dict
    default: {}
  pfx_files:
    description: The new certificates by role as PFX files on the controller; placed on every node when O(place_certificates).
    type: dict
    default: {}
  pfx_contents:
    description:
      - The new certificates by role as base64 PFX text (C(base64 -w0 file.pfx)), as an AWX credential injects them; a role is given
        here or in O(pfx_files), never both. Read and checked on the controller before any change. Never logged or returned.
    type: dict
    default: {}
  pfx_password:
    description: Password of the PFX files or contents. Never logged or returned.
    type: str
  config_template:
    description: A ConfigTemplate.xml on the controller naming the new certificates (else the one in O(infrastructure_path) is read).
    type: path
  place_certificates:
    description: Import the PFX certificates where they are missing and grant O(service_accounts) read access to their keys.
    type: bool
    default: false
  service_accounts:
    description: Accounts that must read the private keys of the new certificates on every node.
    type: list
    elements: str
    default: []
  infrastructure_path:
    description: The Infrastructure scripts folder (ConfigTemplate.xml, Configure-CredentialsJson.ps1). Required for O(phase=read) and O(phase=plan).
    type: str
  old_infrastructure_path:
    description: The previous Infrastructure folder (InfrastructureOld); its ConfigTemplate.xml names the certificates cleanup removes.
    type: str
    default: ""
  localagent_config_path:
    description: Path of localagent-config.json on the first node. Required for O(phase=read) and O(phase=plan).
    type: str
  localagent_cli_path:
    description: Folder of LocalAgentCLI.exe on the first node. Required for O(phase=read) and O(phase=plan).
    type: str
  agent_share_config_path:
    description: Path of config.json on the agent share (needed with LocalAgent 3.2.2 and older).
    type: str
    default: ""
  sql_server:
    description: SQL Server instance of the business database. Required for O(phase=read) and O(phase=plan).
    type: str
  database:
    description: The business database.
    type: str
    default: AXDB
  backup_confirmed:
    description: Whether the business database was backed up; the plan refuses without it.
    type: bool
    default: false
  replica_set_check_timeout:
    description: C(UpgradeReplicaSetCheckTimeoutSec) set during the cluster upgrade (a node type with a single node); 0 leaves it alone.
    type: int
    default: 30
  watch_interval:
    description: Seconds between two reads of the cluster upgrade.
    type: float
    default: 60
  watch_timeout:
    description: Seconds after which a cluster upgrade that has not completed fails the step.
    type: int
    default: 7200
  cluster_config_path:
    description: Where the new ClusterConfig.json is written on the first node for C(Start-ServiceFabricClusterConfigurationUpgrade).
    type: str
    default: C:\Windows\Temp\certops-ClusterConfig.json
  min_days_remaining:
    description: Days of validity every new certificate must have left.
    type: int
    default: 30
  other_certificates:
    description: Public certificates (PEM or DER files on the controller) of the SQL Server and AD FS, checked not to be expired.
    type: list
    elements: path
    default: []
  job_recheck_hours:
    description: How long after this run the plan says to check the encrypted-data rotation job again.
    type: int
    default: 24
notes:
  - Executions per node. Plan, 1 on every node (the first node reads its certificates, the cluster and the D365 pieces in one
    execution). Rotation adds one execution per step on the node it runs on (placement, the configuration upgrade, LocalAgent,
    config.json, Credentials.json, the encrypted-data rotation job, cleanup), the watch reads of a configuration upgrade, and one
    verify read per node.
seealso:
  - name: Certificate rotation (D365 on-premises)
    description: The vendor procedure the plan follows.
    link: https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
  - name: Update Service Fabric clusters for D365 on-premises
    description: The cluster configuration upgrade and its watch.
    link: https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/onprem-update-sfcluster
"""

EXAMPLES = r"""
---
# The role certops.microsoft.d365_service_fabric runs these phases.
- name: Read every node once
  certops.microsoft.d365_service_fabric_rotation:
    phase: read
    infrastructure_path: \\fs01\Infrastructure
    localagent_config_path: C:\LocalAgent\localagent-config.json
    localagent_cli_path: C:\LocalAgent
    sql_server: sql01.contoso.com
  register: d365_read
"""

RETURN = r"""
role:
  description: O(phase=read) only. V(primary) for the group's first node, V(node) for the others.
  returned: phase read
  type: str
  sample: primary
state:
  description:
    - O(phase=read) only. What the node's one read script returned, normalised, under its part (C(primary) or C(node)).
    - C(primary) holds C(node) (certificates), C(cluster) (configuration, upgrade, application thumbprints, health) and C(d365)
      (ConfigTemplate.xml, LocalAgent, config.json, Credentials.json, the encrypted-data rotation job); C(node) holds C(node).
  returned: phase read, when the node could be read
  type: dict
read_error:
  description: O(phase=read) only. Why the node could not be read (no WinRM answer, or the read script failed, for example
    C(Connect-ServiceFabricCluster) or C(Invoke-Sqlcmd)); the plan phase refuses with it, naming the node.
  returned: phase read, when the node could not be read
  type: str
plan:
  description:
    - The plan document (schema C(docs/schemas/plan-v1.json)); it holds no secret (a PFX travels only at apply time).
  returned: phase plan
  type: dict
  contains:
    steps:
      description: The steps in the documented order, each one exact write on one node.
      type: list
      elements: dict
    waves:
      description: The waves of the steps (the placement, then the configuration upgrade on the first node, then LocalAgent,
        config.json and Credentials.json); a node applies its steps of a wave in order.
      type: list
      elements: dict
    cleanup:
      description: The irreversible steps (the old thumbprints out of the cluster configuration, then the old certificates, the
        data-encryption certificate last), applied only when asked and only once the encrypted-data rotation job is done.
      type: list
      elements: dict
    cleanup_waves:
      description: The waves of the cleanup steps (the first node's upgrade and removals, the other nodes' removals, the
        data-encryption certificate everywhere).
      type: list
      elements: dict
    expected:
      description: The facts verify must read, by inventory host (C(new_certificates_with_key) on every node; on the first node
        also C(cluster_certificate), C(upgrade_state), C(localagent), C(credentials_rotated_to), C(health)).
      type: dict
    manual_gates:
      description: LCS C(Update Settings), with the thumbprint to enter in each LCS field.
      type: list
      elements: dict
    waits:
      description: The encrypted-data rotation job, with the date to check it again.
      type: list
      elements: dict
lines:
  description:
    - The plan as lines to print, with the manual gate's thumbprints per LCS field.
    - In check mode, which stops at the plan, they end with the closing lines the V(summary) phase prints after a real run.
  returned: phase plan
  type: list
  elements: str
applied:
  description: Ids of the steps this node applied in this wave (C(place-<role>-<node>), C(cluster-rotate), C(cluster-watch), C(localagent),
    C(agent-share-config), C(credentials), C(encrypted-data-rotation), C(cluster-cleanup), C(remove-<role>-<node>)).
  returned: phase apply
  type: list
  elements: str
progress:
  description: What the watch of a cluster upgrade read, in order (UpgradeState, upgrade domains, the replica-set-check timeout).
  returned: phase apply
  type: list
  elements: dict
verified:
  description: Whether the node shows the planned end state (the new certificates with their keys; on the first node also the cluster
    certificate, the upgrade state, LocalAgent, Credentials.json and the job).
  returned: phase verify
  type: bool
facts:
  description: What the verify read found, under the names of RV(plan.expected).
  returned: phase verify
  type: dict
estate:
  description:
    - O(phase=estate) only. The product's part of the estate report (C(certops.microsoft.estate_report)), without any secret.
  returned: phase estate
  type: dict
  contains:
    product:
      description: The product name.
      type: str
    certificates:
      description:
        - Every certificate the product uses, with C(product), C(role), C(thumbprint), C(not_after), C(host) and C(store) (or
          C(location) outside a host), C(subject) and C(findings) (C(severity), C(code), C(message)).
      type: list
      elements: dict
    deadlines:
      description: Dated events, C(kind) V(automatic) (the product acts by itself), V(human) (the next human action) or V(expiry).
      type: list
      elements: dict
    unread:
      description: The hosts of the product that could not be read, with the error.
      type: list
      elements: dict
"""
