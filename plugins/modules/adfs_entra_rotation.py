#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.adfs_entra_rotation action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: adfs_entra_rotation
short_description: Rotate AD FS token-signing and token-decrypting certificates and keep every federated Entra domain in step (rotation engine)
version_added: 0.3.0
description:
  - One phase of the rotation engine (O(phase)) for AD FS and the Microsoft Entra federation trust; the role
    M(certops.microsoft.adfs_entra) (role) runs the phases in order and is the way to use it.
  - V(read) on each AD FS node reads its WID role (C(Get-AdfsSyncProperties)), the AD FS service account, C(Get-AdfsProperties),
    the token-signing and token-decrypting certificates (C(Get-AdfsCertificate)), the relying party trusts and C(LocalMachine\My)
    with each key's readers, in one WinRM execution. On one node (O(primary), else the group's first) it also reads Microsoft Graph
    from the controller, in two requests, C(GET /domains) and one C($batch) with every federated domain's C(federationConfiguration)
    and the Global Administrator role's members.
  - V(plan) finds the primary node and the domains this farm federates, refuses before any change with every reason at once, and
    plans by O(mode). V(auto) follows AD FS auto-rollover on the farm's own thresholds and pushes C(nextSigningCertificate) to a
    domain when Entra cannot poll the metadata (or promotion is too near); V(ca) stages a CA-issued certificate on every node, adds it
    as secondary, writes it to every domain's C(nextSigningCertificate) without touching C(signingCertificate), promotes it in AD FS,
    then makes it Entra's C(signingCertificate); V(emergency) runs C(Update-AdfsCertificate -Urgent) and a second update, then every
    domain trusts exactly the two new certificates. Retiring the old certificate (Entra and AD FS) is cleanup.
  - Microsoft Graph is called from the controller with msal (client credentials, a certificate or a secret), never with MSOnline or
    Graph PowerShell on the AD FS servers. TLS is validated; throttling (HTTP 429, C(Retry-After)) is honoured.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - ansible.windows on the controller; C(cryptography), C(msal) and C(requests) on the controller
  - AD FS on Windows Server 2016 or later (module C(ADFS)), WID farm, on the hosts
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.windows_action
  - certops.microsoft.rotation
attributes:
  check_mode:
    details:
      - The read and plan phases run in check mode and change nothing, on the nodes and in Entra (Graph is only read); the plan
        phase reports C(changed) when the plan has steps. The apply phase makes no call in check mode.
  diff_mode:
    support: none
    details: The plan document (RV(plan)) says what changes, node by node and domain by domain.
options:
  mode:
    description:
      - V(auto) for AD FS's own (auto-rollover) certificates, V(ca) for CA-issued certificates, V(emergency) for a compromised
        token-signing key (requires O(emergency)).
    type: str
    choices: [auto, ca, emergency]
    default: auto
  adfs_group:
    description: Inventory group of the AD FS nodes (all nodes of one farm).
    type: str
    default: adfs
  primary:
    description:
      - Inventory host of the primary node. Empty finds it (C(Get-AdfsSyncProperties) Role C(PrimaryComputer)); a secondary named here
        is refused.
    type: str
  domains:
    description: Federated domains to keep in step; empty means every domain whose issuer is this farm.
    type: list
    elements: str
    default: []
  signing_pfx_path:
    description:
      - O(mode=ca). The new token-signing certificate's PFX on the controller; it needs the digitalSignature key usage. Imported on every
        node as a sensitive script parameter, its key readable by the AD FS service account.
    type: path
  signing_pfx_content:
    description:
      - The same PFX as base64 text (C(base64 -w0 file.pfx)), as an AWX credential injects it (C(extensions/awx/credential_types/)).
      - Read and checked on the controller before any change. Exactly one of O(signing_pfx_path), O(signing_pfx_content) and O(signing_thumbprint).
      - Never logged or returned.
    type: str
  signing_pfx_password:
    description: Password of O(signing_pfx_path) or O(signing_pfx_content). Never logged or returned.
    type: str
  signing_thumbprint:
    description: O(mode=ca). Thumbprint of a new token-signing certificate already installed on every node with a key the AD FS service account reads.
    type: str
  decrypting_pfx_path:
    description: O(mode=ca). The new token-decrypting certificate's PFX on the controller; it needs the keyEncipherment key usage.
    type: path
  decrypting_pfx_content:
    description:
      - The same PFX as base64 text (C(base64 -w0 file.pfx)), as an AWX credential injects it (C(extensions/awx/credential_types/)).
      - Read and checked on the controller before any change. Exactly one of O(decrypting_pfx_path), O(decrypting_pfx_content) and O(decrypting_thumbprint).
      - Never logged or returned.
    type: str
  decrypting_pfx_password:
    description: Password of O(decrypting_pfx_path) or O(decrypting_pfx_content). Never logged or returned.
    type: str
  decrypting_thumbprint:
    description: O(mode=ca). Thumbprint of a new token-decrypting certificate already installed on every node.
    type: str
  min_days_remaining:
    description: Days of validity a new certificate must have left.
    type: int
    default: 60
  policy:
    description: Further certificate policy keys (see M(certops.microsoft.certificate_info)).
    type: dict
  key_exportable:
    description: Whether a key imported from a PFX may be exported again.
    type: bool
    default: false
  disable_auto_rollover:
    description: O(mode=ca) on a farm with AutoCertificateRollover on; plan C(Set-AdfsProperties -AutoCertificateRollover $false) first.
    type: bool
    default: false
  emergency:
    description: Confirms an emergency rotation (O(mode=emergency)); without it C(-Urgent) is refused.
    type: bool
    default: false
  compromised_thumbprint:
    description: O(mode=emergency). The compromised token-signing certificate; default the current primary.
    type: str
  metadata_reachable:
    description:
      - Whether Entra can fetch the farm's federation metadata. V(auto) decides per domain from Entra's
        C(signingCertificateUpdateStatus); V(true) or V(false) overrides it.
    type: raw
    default: auto
  promotion_margin_days:
    description: O(mode=auto). Push the next certificate to Entra when promotion is nearer than this, even if Entra could poll.
    type: int
    default: 3
  relying_parties_ready:
    description: O(mode=ca). Confirms that the relying parties listed as configured by hand hold the new token-signing certificate.
    type: bool
    default: false
  metadata_consumers:
    description: Relying parties (by name) that read the farm's metadata although their trust does not show it.
    type: list
    elements: str
    default: []
  stop_after:
    description: V(stage) adds the new certificates and stages them in Entra only; V(activate) also promotes them.
    type: str
    choices: [stage, activate]
    default: activate
  graph_tenant_id:
    description: The Entra tenant (ID or initial domain). Required for O(phase=read) and O(phase=plan).
    type: str
  graph_client_id:
    description:
      - Application (client) ID of the app registration, with the application permissions Domain.Read.All and
        Domain-InternalFederation.ReadWrite.All (and RoleManagement.Read.Directory for the administrator check).
        Required for O(phase=read) and O(phase=plan).
    type: str
  graph_authority_host:
    description: The Microsoft Entra authority host (a sovereign cloud's, e.g. V(https://login.microsoftonline.us)).
    type: str
    default: https://login.microsoftonline.com
  graph_endpoint:
    description: The Microsoft Graph endpoint (a sovereign cloud's, e.g. V(https://graph.microsoft.us)); the token's scope is its C(/.default).
    type: str
    default: https://graph.microsoft.com
  graph_certificate_path:
    description: The app's certificate credential on the controller, a PFX or a PEM with the key (and the certificate).
    type: path
  graph_certificate_thumbprint:
    description: Thumbprint of the app's certificate when O(graph_certificate_path) is a PEM holding only the key.
    type: str
  graph_certificate_password:
    description: Password of O(graph_certificate_path). Never logged or returned.
    type: str
  graph_client_secret:
    description: A client secret instead of a certificate. Never logged or returned.
    type: str
  graph_ca_path:
    description:
      - A PEM bundle of the CA that issued the TLS certificates of the authority and Graph endpoints (private CAs, TLS inspection).
    type: path
  graph_timeout:
    description: Seconds to wait for each Graph answer; a write without an answer is reported as uncertain.
    type: float
    default: 30.0
  graph_retries:
    description: Retries of a throttled (429, 503) or failed Graph request.
    type: int
    default: 3
  graph_max_retry_after:
    description: Longest C(Retry-After) the run waits out; a longer one stops it (nothing changed by that request).
    type: float
    default: 60.0
notes:
  - Executions per host. Plan, on every node, 1 (the read), and 2 Graph requests from the controller. Rotation (V(ca)), on every node
    the read, one stage step where the certificate or its key access is missing and one verify read; on the primary node also the add,
    promote steps; Graph one PATCH per domain and step, and 2 requests to verify.
seealso:
  - name: Obtain and configure TS and TD certificates for AD FS
    description: The CA-issued procedure (secondary first, then primary) the V(ca) mode follows.
    link: https://learn.microsoft.com/windows-server/identity/ad-fs/operations/configure-ts-td-certs-ad-fs
  - name: Update internalDomainFederation
    description: The Microsoft Graph call that writes a domain's signing certificates.
    link: https://learn.microsoft.com/graph/api/internaldomainfederation-update
"""

EXAMPLES = r"""
---
# The role certops.microsoft.adfs_entra runs these phases; a play of its own looks like this.
- name: Read every AD FS node once (and Graph from the controller, on one node)
  certops.microsoft.adfs_entra_rotation:
    phase: read
    graph_tenant_id: contoso.onmicrosoft.com
    graph_client_id: 6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10
    graph_certificate_path: files/certops-graph.pfx
    graph_certificate_password: "{{ vault_graph_pfx_password }}"
  register: adfs_read

- name: Plan (controller only)
  certops.microsoft.adfs_entra_rotation:
    phase: plan
    reads: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'adfs_read'))) }}"
    mode: ca
    signing_pfx_path: files/adfs-signing-2027.pfx
    signing_pfx_password: "{{ vault_signing_pfx_password }}"
    graph_tenant_id: contoso.onmicrosoft.com
    graph_client_id: 6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10
    graph_certificate_path: files/certops-graph.pfx
    graph_certificate_password: "{{ vault_graph_pfx_password }}"
  run_once: true
  register: adfs_plan
"""

RETURN = r"""
role:
  description: O(phase=read) only. The host's part, V(adfs), or V(adfs+entra) on the node that also read Graph.
  returned: phase read
  type: str
  sample: adfs+entra
state:
  description:
    - O(phase=read) only. The node's read (C(adfs)) and, on one node, Graph's (C(entra), with each federated domain's federation
      JSON under C(raw)), normalised. It holds no secret; the role keeps it as the snapshot taken before any change.
  returned: phase read, when the host could be read
  type: dict
read_error:
  description: O(phase=read) only. Why the host could not be read; the plan phase refuses with it.
  returned: phase read, when the host could not be read
  type: str
plan:
  description:
    - The plan document (schema C(docs/schemas/plan-v1.json), C(version) 1). It holds no secret.
  returned: phase plan
  type: dict
  contains:
    inputs:
      description:
        - What the plan was made from. C(mode), C(primary) (the primary node), C(domains) (the federated domains kept in step),
          C(new) (the new certificates' thumbprints and sources), C(service_account), and the Graph settings without secrets.
      type: dict
    steps:
      description: The steps in order, each one exact write on one node or one Microsoft Graph PATCH on the controller.
      type: list
      elements: dict
    waves:
      description: The waves of the steps.
      type: list
      elements: dict
    cleanup:
      description: The irreversible steps (Entra stops trusting the old certificate, AD FS removes it), applied only when asked.
      type: list
      elements: dict
    cleanup_waves:
      description: The waves of the cleanup steps.
      type: list
      elements: dict
    expected:
      description: The facts verify must read on each node, by inventory host (Entra's on the primary node).
      type: dict
    waits:
      description: AD FS auto-rollover dates and Entra's polling the run waits for.
      type: list
      elements: dict
    manual_gates:
      description: The relying parties configured by hand and the certificate to give them before promotion.
      type: list
      elements: dict
lines:
  description:
    - The plan as lines to print (check mode, AWX job output).
    - In check mode, which stops at the plan, they end with the closing lines the V(summary) phase prints after a real run.
  returned: phase plan
  type: list
  elements: str
applied:
  description: Ids of the steps this host applied in this wave.
  returned: phase apply
  type: list
  elements: str
verified:
  description: Whether the host shows the planned end state (a mismatch fails the task).
  returned: phase verify
  type: bool
facts:
  description: What the verify read found, the keys of RV(plan.expected) for this host.
  returned: phase verify
  type: dict
msg:
  description: O(phase=summary) only. The closing lines, what changed, where the run stopped and the next action.
  returned: phase summary
  type: list
  elements: str
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
