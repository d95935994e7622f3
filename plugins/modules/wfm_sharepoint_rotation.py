#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.wfm_sharepoint_rotation action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: wfm_sharepoint_rotation
short_description: Rotate Workflow Manager's outbound certificate and every SharePoint farm's trust in it (rotation engine)
version_added: 0.2.0
description:
  - One phase of the rotation engine (O(phase)) for Workflow Manager and SharePoint; the role
    C(certops.microsoft.wfm_sharepoint) runs the phases in order and is the way to use it.
  - V(read) on each Workflow Manager host reads every certificate of C(LocalMachine\My) with its key readers and, on the
    first host of the group, the outbound certificate references (C(Get-WFOutboundCertificate), never C(Get-WFFarm));
    on each SharePoint server it reads the farm Id, the realm, the trusted security token issuers and the trusted root authorities.
  - V(plan) groups the SharePoint servers into farms by farm Id and plans, make before break, the new certificate with its
    private key on every Workflow Manager host readable by O(service_account), then in B(every) farm that trusts this
    Workflow Manager farm a trusted root authority and a trusted security token issuer for it, then the switch
    (C(Set-WFNextOutboundCertificateReference), C(Set-WFNextOutboundCertificateAsCurrent)). The trust in the retired
    certificate and the certificate itself are cleanup steps.
  - A run after a partial rotation (Workflow Manager switched, a farm not trusting the new certificate yet) plans what is
    missing and finishes it.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - ansible.windows on the controller; C(cryptography) on the controller
  - Workflow Manager 1.0 (module C(WorkflowManager)) and SharePoint Server (snap-in C(Microsoft.SharePoint.PowerShell)) on the hosts
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
    details: The plan document (RV(plan)) says what changes, host by host.
options:
  service_uri:
    description:
      - Workflow Manager's service URI as C(-ServiceUri) expects it, for example V(https://wfm.contoso.com:12290/).
      - Required for O(phase=read) and O(phase=plan).
    type: str
  service_account:
    description:
      - Workflow Manager's RunAs account, which must read the new certificate's private key on every Workflow Manager host.
      - Required for O(phase=plan).
    type: str
  pfx_path:
    description:
      - The new certificate's PFX on the controller. Exactly one of O(pfx_path), O(pfx_content) and O(thumbprint) for O(phase=plan); also
        given to O(phase=apply), which imports it where it is missing (as a sensitive script parameter, never a file copy).
    type: path
  pfx_password:
    description: Password of the PFX. Never logged or returned.
    type: str
  pfx_content:
    description:
      - The new certificate's PFX as base64 text (an AWX credential injects it so). Used like O(pfx_path). Never logged or returned.
    type: str
  thumbprint:
    description:
      - Thumbprint of a new certificate already in C(LocalMachine\My) with its private key on every Workflow Manager host.
        Pasted spaces, colons and invisible characters are removed.
    type: str
  wfm_group:
    description: Inventory group of the Workflow Manager hosts; the first is where farm-level commands run.
    type: str
    default: wfm
  sharepoint_group:
    description: Inventory group of the SharePoint servers, of one farm or of several farms that trust this Workflow Manager farm.
    type: str
    default: sharepoint
  issuer_name:
    description: Name of the trusted security token issuer created for the new certificate (eight thumbprint digits are appended when taken).
    type: str
    default: WorkflowManagerOutbound
  registered_issuer_name:
    description: C(RegisteredIssuerName) of a new issuer, C(00000005-0000-0000-c000-000000000000@*) or C(...@<realm>).
    type: str
    default: 00000005-0000-0000-c000-000000000000@*
  is_self_issuer:
    description:
      - C(IsSelfIssuer) of a new issuer; empty decides from the certificate (true when self-signed). Text V(true) or V(false) is accepted.
    type: raw
  trust_root_authority:
    description: Also add the new certificate as a trusted root authority in every farm.
    type: bool
    default: true
  root_authority_name:
    description: Name of that trusted root authority.
    type: str
    default: WorkflowManagerOutbound
  min_days_remaining:
    description: Days of validity the new certificate must have left.
    type: int
    default: 30
  policy:
    description: Further certificate policy keys (see M(certops.microsoft.certificate_info)); digitalSignature is always required.
    type: dict
  key_exportable:
    description: Whether the imported private key may be exported again.
    type: bool
    default: false
  cleanup_remove_certificate:
    description: Cleanup also removes the retired certificate from C(LocalMachine\My) of the Workflow Manager hosts.
    type: bool
    default: true
notes:
  - Executions per host. Plan, on every host, 1 (the read). Rotation, on a Workflow Manager host, the read, one stage step
    where the certificate or its key access is missing, the switch on the first host, and one verify read; on a SharePoint
    server, the read, and on the first server of each farm two trust steps and one verify read.
seealso:
  - name: How to update OutboundCertificate in Workflow Manager (and SharePoint)
    description: The vendor procedure the plan follows.
    link: https://learn.microsoft.com/en-us/archive/blogs/feseca/how-to-update-outboundcertificate-in-workflow-manager-and-sharepoint
"""

EXAMPLES = r"""
---
# The role certops.microsoft.wfm_sharepoint runs these phases; a play of its own looks like this.
- name: Read every host once
  certops.microsoft.wfm_sharepoint_rotation:
    phase: read
    service_uri: https://wfm.contoso.com:12290/
  register: wfm_read

- name: Plan (controller only)
  certops.microsoft.wfm_sharepoint_rotation:
    phase: plan
    reads: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'wfm_read'))) }}"
    service_uri: https://wfm.contoso.com:12290/
    service_account: CONTOSO\svc-wfm
    pfx_path: files/wfm-outbound-2027.pfx
    pfx_password: "{{ vault_wfm_pfx_password }}"
  run_once: true
  register: wfm_plan

# What the role does: no templated argument (each would be compiled in every host's worker); the options come
# from the role's variables (wfm_sharepoint_service_uri, wfm_sharepoint_pfx_path, ...) and the reads from the
# registered variable.
- name: Plan from the role's variables
  certops.microsoft.wfm_sharepoint_rotation:
    phase: plan
    reads_from: wfm_read
    settings_from_variables: true
  run_once: true
  register: wfm_plan
"""

RETURN = r"""
role:
  description: O(phase=read) only. The host's part in the product, V(wfm_primary), V(wfm), V(sharepoint) or two joined with C(+).
  returned: phase read
  type: str
  sample: wfm_primary
state:
  description: O(phase=read) only. What the read script returned, normalised, by part (C(wfm), C(sharepoint)).
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
      description: What the plan was made from (the new certificate's thumbprint and source, farms, issuer names), without secrets.
      type: dict
    steps:
      description: The steps in order, each one exact write on one host.
      type: list
      elements: dict
    waves:
      description: The waves of the steps; a wave's steps run on different hosts at once.
      type: list
      elements: dict
    cleanup:
      description: The irreversible steps (SharePoint stops trusting the old certificate, the old certificate leaves the stores), applied only when asked.
      type: list
      elements: dict
    cleanup_waves:
      description: The waves of the cleanup steps.
      type: list
      elements: dict
    expected:
      description: The facts verify must read on each host, by inventory host.
      type: dict
    summary:
      description: The plan's closing lines.
      type: list
      elements: str
    warnings:
      description: What the plan noticed and left alone.
      type: list
      elements: str
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
