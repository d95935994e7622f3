#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.sp_trusted_security_token_issuer action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: sp_trusted_security_token_issuer
short_description: SharePoint's trusted security token issuers for Workflow Manager's signing certificate
version_added: 0.1.0
description:
  - Lists, adds and removes SharePoint trusted security token issuers for the Workflow Manager
    principal, that is issuers whose C(RegisteredIssuerName) is
    V(00000005-0000-0000-c000-000000000000@*) or V(00000005-0000-0000-c000-000000000000@<realm>).
    SharePoint accepts a workflow token only when one of them holds the certificate Workflow
    Manager signed it with; otherwise workflows fail with HTTP 401 "Invalid JWT token".
    Other server-to-server trusts are never changed.
  - O(state=present) makes sure an issuer holds the certificate in O(certificate), for
    O(registered_issuer_name) (idempotent by signing thumbprint and registered issuer name).
    It is created beside the existing ones, never by overwriting one (make before break). When an
    issuer called O(name) already holds another certificate (perhaps the only one that works now),
    the new issuer is called O(name) followed by a dash and the first eight digits of the new thumbprint.
  - O(state=absent) removes the issuers whose signing certificate is in O(thumbprints_to_remove)
    (or is O(certificate)). It refuses, before any change, to remove an issuer whose thumbprint is in
    O(protected_thumbprints); pass Workflow Manager's current outbound thumbprint there.
  - O(state=query) only lists.
  - Runs the collection's C(sharepoint_trust_get) and
    C(sp_trusted_security_token_issuer_set) scripts (C(Get-SPTrustedSecurityTokenIssuer),
    C(New-SPTrustedSecurityTokenIssuer), C(Remove-SPTrustedSecurityTokenIssuer), and
    C(IsSelfIssuer) then C(Update()) as in the vendor procedure) through
    M(ansible.windows.win_powershell). Names and certificates reach PowerShell only as parameters.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - cryptography on the controller; ansible.windows on the controller
  - SharePoint Server 2013, 2016, 2019 or Subscription Edition on the host
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.windows_action
attributes:
  check_mode:
    details: Reads the live issuers and returns the changes it would make in RV(plan) without making them.
  diff_mode:
    details: The Workflow Manager issuers (name, thumbprint, registered issuer name, IsSelfIssuer) before and after.
options:
  state:
    description:
      - V(present) ensures an issuer for O(certificate); V(absent) removes the issuers of retired
        certificates; V(query) only lists.
    type: str
    choices: [present, absent, query]
    default: present
  name:
    description:
      - The issuer's name. Required with O(state=present).
      - When another certificate's issuer already has this name, the new issuer gets a distinct one
        (see the description) and RV(issuers) says which.
    type: str
  certificate:
    description:
      - The public certificate Workflow Manager signs with, as PEM text (C(-----BEGIN CERTIFICATE-----))
        or base64 DER (the content of a C(.cer) file as M(ansible.builtin.slurp) returns it). It is
        sent to the server as data; no file is needed there.
      - Exactly one certificate. Anything holding a private key (a PFX, a PEM key) is refused.
      - Required with O(state=present); with O(state=absent) its thumbprint is added to O(thumbprints_to_remove).
    type: str
  registered_issuer_name:
    description:
      - The issuer's C(RegisteredIssuerName), C(<principal GUID>@*) or C(<principal GUID>@<realm GUID>).
    type: str
    default: 00000005-0000-0000-c000-000000000000@*
  is_self_issuer:
    description:
      - The issuer's C(IsSelfIssuer). When omitted it is decided from the certificate. V(true) when it is
        self-signed (issuer equals subject and its own key verifies its signature), as Workflow Manager's
        auto-generated outbound certificate is; V(false) for a certificate issued by your CA.
      - An existing issuer for the same certificate is updated only when this option is given and differs.
    type: bool
  thumbprints_to_remove:
    description:
      - With O(state=absent), the SHA-1 thumbprints of the retired certificates whose issuers are removed.
        Thumbprints are normalised like pasted ones.
    type: list
    elements: str
  protected_thumbprints:
    description:
      - Thumbprints whose issuers must never be removed, normally Workflow Manager's current outbound
        certificate (RV(certops.microsoft.wfm_outbound_certificate#module:current_thumbprint)).
      - O(state=absent) fails before any change when asked to remove one of them.
    type: list
    elements: str
    default: []
notes:
  - SharePoint cmdlets need the farm's database. Over WinRM that is a double hop; run the task with
    C(become=true), C(become_method=runas) and the farm account, or use CredSSP.
  - One read and one write per change. In check mode only the read runs.
seealso:
  - module: certops.microsoft.wfm_outbound_certificate
  - module: certops.microsoft.sp_trusted_root_authority
  - name: New-SPTrustedSecurityTokenIssuer
    description: The cmdlet that creates the issuer.
    link: https://learn.microsoft.com/powershell/module/sharepoint-server/new-sptrustedsecuritytokenissuer
"""

EXAMPLES = r"""
---
- name: Trust the new Workflow Manager certificate beside the old one
  certops.microsoft.sp_trusted_security_token_issuer:
    name: workflow-manager-2026
    certificate: "{{ lookup('ansible.builtin.file', 'files/wfm-outbound-2026.pem') }}"
  become: true
  become_method: ansible.builtin.runas
  become_user: CONTOSO\sp-farm

- name: After the switch, remove the retired certificate's issuer (never Workflow Manager's current one)
  certops.microsoft.sp_trusted_security_token_issuer:
    state: absent
    thumbprints_to_remove: ["{{ old_thumbprint }}"]
    protected_thumbprints: ["{{ outbound.current_thumbprint }}"]

- name: List the Workflow Manager issuers
  certops.microsoft.sp_trusted_security_token_issuer:
    state: query
  register: trust
"""

RETURN = r"""
issuers:
  description:
    - The Workflow Manager issuers after the task (in check mode, as they would be), in SharePoint's order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The issuer's name.
      type: str
      sample: workflow-manager-2026
    id:
      description: The issuer's Id; V(null) for one check mode would create.
      type: str
      sample: 0d9a1c52-7a43-4b1e-9d5e-3f0c2b8e6a11
    registered_issuer_name:
      description: The issuer's RegisteredIssuerName.
      type: str
      sample: 00000005-0000-0000-c000-000000000000@*
    is_self_issuer:
      description: The issuer's IsSelfIssuer.
      type: bool
      sample: false
    metadata_endpoint:
      description: The metadata endpoint of an issuer registered from one, else V(null).
      type: str
      sample: null
    thumbprint:
      description: The signing certificate's SHA-1 thumbprint (empty for an issuer without one).
      type: str
      sample: 3B8F12AA904C1E77620D5A91C4E0338F71B2C904
    subject:
      description: The signing certificate's subject (RFC 4514).
      type: str
      sample: CN=Workflow Manager Outbound
    issuer:
      description: The signing certificate's issuer (RFC 4514).
      type: str
      sample: CN=Contoso Issuing CA
    not_after:
      description: End of the signing certificate's validity, ISO 8601 UTC.
      type: str
      sample: "2027-11-23T12:00:00Z"
    days_remaining:
      description: Whole days of validity left when the task ran.
      type: int
      sample: 365
    expired:
      description: Whether the signing certificate had expired when the task ran.
      type: bool
      sample: false
    self_signed:
      description: Whether the signing certificate is self-signed.
      type: bool
      sample: false
realm:
  description: The farm's authentication realm (C(Get-SPAuthenticationRealm)).
  returned: success
  type: str
  sample: 8b9e1f4e-6c2a-4d1b-9f3e-2a7c5d0e1b44
plan:
  description: In check mode, the changes that would be made, in order (empty when none is needed).
  returned: check mode
  type: list
  elements: dict
  contains:
    step:
      description: Position of the step in this task's plan, from 1.
      type: int
    host:
      description: The inventory host the step runs on.
      type: str
    action:
      description: What the step does (create, update or remove trusted security token issuer).
      type: str
    detail:
      description: Which issuer, certificate and settings.
      type: str
  sample:
    - step: 1
      host: sp01
      action: create trusted security token issuer
      detail: "create 'workflow-manager-2026' for certificate 3B8F... (CN=Workflow Manager Outbound), 00000005-...@*, IsSelfIssuer=False"
"""
