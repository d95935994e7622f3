#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.exchange_auth_rotation action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: exchange_auth_rotation
short_description: Stage, publish and clean up the Exchange Server Auth (OAuth) certificate across an organisation (rotation engine)
version_added: 0.2.0
description:
  - One phase of the rotation engine (O(phase)) for the Exchange Server Auth certificate; the role
    C(certops.microsoft.exchange_auth) runs the phases in order and is the way to use it.
  - V(read) on each Mailbox server loads the Exchange Management Shell locally (C(RemoteExchange.ps1),
    C(Connect-ExchangeServer -Auto)), as MEAC does, and reads AuthConfig, whether a hybrid configuration exists, the
    organisation's servers, every certificate of C(LocalMachine\My) with its key provider, exportability and Exchange
    services, the SMTP default certificate and when MSExchangeServiceHost and the OWA/ECP app pools started. A computer
    without the Exchange setup key (a remote shell) reports only that.
  - V(plan) applies the decision matrix of Microsoft's C(MonitorExchangeAuthCertificate.ps1) (replace, stage, import,
    nothing) and plans, make before break, the certificate on every server, AuthConfig, the publication and serial
    restarts behind health gates once the effective date has passed. A plan that must create a certificate holds only
    that step and sets C(inputs.replan); the role then reads the acting server again and plans the rest.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - ansible.windows on the controller; C(cryptography) on the controller
  - Exchange Server 2013, 2016, 2019 or Subscription Edition (Mailbox role) on the hosts, with the WebAdministration module
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.windows_action
  - certops.microsoft.rotation
attributes:
  check_mode:
    details:
      - The read and plan phases run in check mode and change nothing; the plan phase reports C(changed) when the plan has
        steps. The apply phase makes no call in check mode.
  diff_mode:
    support: none
    details: The plan document (RV(plan)) says what changes, server by server.
options:
  group:
    description: Inventory group of the organisation's Mailbox servers; every one takes part.
    type: str
    default: exchange
  thumbprint:
    description:
      - With O(phase=plan), a certificate already on a server to stage as the next Auth certificate; empty creates one
        (C(New-ExchangeCertificate)) or adopts an unused one a previous run created.
    type: str
  effective_date:
    description:
      - With O(phase=plan), when a staged certificate takes effect (ISO 8601), at least 48 hours ahead and before the
        current certificate expires; empty uses MEAC's date.
    type: str
  enforce_new:
    description: Stage a new next certificate even when the matrix does not call for one, unless a sound one is staged.
    type: bool
    default: false
  ignore_unreachable_servers:
    description: Act on the servers that answer when others do not (MEAC's C(-IgnoreUnreachableServers)).
    type: bool
    default: false
  ignore_hybrid:
    description: Go on although Exchange hybrid is configured (MEAC's C(-IgnoreHybridConfig)).
    type: bool
    default: false
  restart:
    description: Restart MSExchangeServiceHost and recycle the OWA/ECP app pools after a publication, one server at a time.
    type: bool
    default: true
  test_mailbox:
    description: Mailbox for C(Test-OAuthConnectivity -Mailbox); empty tests as the application (C(-AppOnly)).
    type: str
    default: ""
  exchange_online_uri:
    description: Exchange Online's EWS, probed in hybrid organisations.
    type: str
    default: https://outlook.office365.com/ews/exchange.asmx
  replanned:
    description:
      - With O(phase=plan), true in the role's second round, after the acting server created the new certificate and was read
        again (the summary then says the certificate was created in this run rather than adopted).
    type: bool
    default: false
  hybrid_application_id:
    description:
      - The dedicated Exchange hybrid application in Microsoft Entra (its application (client) ID or object ID). When set, the
        first server's read also reads its C(keyCredentials) over Microsoft Graph on the controller, and the plan merges in the
        key of every certificate that signs or is staged to sign before it does (existing keys kept, a certificate already there
        not added again).
    type: str
    default: ""
  hybrid_prune_expired:
    description: Also drop the hybrid application's expired keys when its keys are updated.
    type: bool
    default: false
  graph_tenant_id:
    description: The Entra tenant (ID or initial domain) of the hybrid application.
    type: str
    default: ""
  graph_client_id:
    description: The app registration certops signs in with (client credentials); it needs C(Application.ReadWrite.All) or C(Application.ReadWrite.OwnedBy).
    type: str
    default: ""
  graph_authority_host:
    description: The Entra authority host (sovereign clouds have their own).
    type: str
    default: https://login.microsoftonline.com
  graph_endpoint:
    description: The Microsoft Graph endpoint (sovereign clouds have their own).
    type: str
    default: https://graph.microsoft.com
  graph_certificate_path:
    description: A certificate registered on the app registration, with its private key (PEM, or PFX with O(graph_certificate_password)), on the controller.
    type: path
  graph_certificate_thumbprint:
    description: The SHA-1 thumbprint of that certificate, when the PEM holds the key only.
    type: str
  graph_certificate_password:
    description: Password of the PFX in O(graph_certificate_path). Never logged or returned.
    type: str
  graph_client_secret:
    description: A client secret of the app registration, instead of a certificate. Never logged or returned.
    type: str
  graph_ca_path:
    description: A PEM bundle that issued the TLS certificates of the authority and Graph endpoints (a private CA); TLS is always validated.
    type: path
  graph_timeout:
    description: Seconds to wait for each Graph answer.
    type: float
    default: 30.0
  graph_retries:
    description: How often a throttled (429, 503) or failed (5xx) Graph request is sent again.
    type: int
    default: 3
  graph_max_retry_after:
    description: The longest C(Retry-After) wait sat out; a longer one fails the step, saying when to re-run.
    type: float
    default: 60.0
notes:
  - Executions per server. Plan, 1 (the read). Rotation, on the acting server, the read, a creation and a second read
    when a certificate is created, one import per server that lacks the certificate, the AuthConfig steps, and one verify
    read; on every server a restart step and its health gate read when the certificate is published in this run.
  - The exported PFX's password is random, made for each apply task, and travels only as a sensitive script parameter.
seealso:
  - name: MonitorExchangeAuthCertificate.ps1 (MEAC)
    description: Microsoft's script whose decision matrix the plan applies.
    link: https://microsoft.github.io/CSS-Exchange/Admin/MonitorExchangeAuthCertificate/
  - name: Set-AuthConfig
    description: The cmdlet and parameter sets the AuthConfig steps use.
    link: https://learn.microsoft.com/powershell/module/exchangepowershell/set-authconfig
"""

EXAMPLES = r"""
---
# The role certops.microsoft.exchange_auth runs these phases; a play of its own looks like this.
- name: Read every Mailbox server once
  certops.microsoft.exchange_auth_rotation:
    phase: read
    group: exchange
  register: auth_read

- name: Plan (controller only)
  certops.microsoft.exchange_auth_rotation:
    phase: plan
    reads: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'auth_read'))) }}"
    group: exchange
    test_mailbox: oauth-probe@contoso.com
  run_once: true
  register: auth_plan
"""

RETURN = r"""
role:
  description: O(phase=read) only. V(mailbox) for a server of the group.
  returned: phase read
  type: str
  sample: mailbox
state:
  description: O(phase=read) only. What exchange_auth_get returned, normalised, under C(exchange).
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
        - What the plan was made from and decided. C(scenario) is this run's action (V(nothing), V(import), V(stage), V(replace),
          V(activate), V(finish)), C(meac_scenario) MEAC's scenario number (0 to 5), C(replan) whether the role plans again after
          the creation step, C(end_current) and C(end_next) AuthConfig once the steps are applied.
      type: dict
    steps:
      description: The steps in order, each one exact write on one server or one Microsoft Graph request on the controller.
      type: list
      elements: dict
    waves:
      description: The waves of the steps; a rolling wave holds one restart and its health gate.
      type: list
      elements: dict
    cleanup:
      description: The irreversible steps (remove the retired certificate, clear it from AuthConfig), applied only when asked.
      type: list
      elements: dict
    cleanup_waves:
      description: The waves of the cleanup steps.
      type: list
      elements: dict
    expected:
      description: The facts verify must read on each server, by inventory host.
      type: dict
    waits:
      description: The AuthAdmin servicelet's publication of a staged certificate, with its date.
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
