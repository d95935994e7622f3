#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.certificate_inventory action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: certificate_inventory
short_description: List the certificates in Windows certificate stores, parsed on the controller
version_added: 0.1.0
description:
  - Reads every certificate in the chosen certificate stores of a Windows host and returns each one
    with its store, whether a private key is attached, whether that key may be exported, and every
    field the collection's certificate core reads from the certificate (thumbprint, subject, SANs,
    validity, key and signature algorithms, key usages).
  - The host returns only the DER bytes of each certificate and the facts of its key storage; the
    certificate is parsed on the controller with C(cryptography). Nothing depends on the Windows
    display language.
  - Runs the collection's C(windows_certificate_inventory) PowerShell script through
    M(certops.microsoft.win_read_script), the collection's lean runner for scripts that only read.
    The module runs in check mode too and never reports a change.
  - Optionally checks every certificate against the collection's certificate policy (key size,
    signature hash, validity left, key usages for a purpose) and returns the violations.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - cryptography on the controller
  - the host needs PowerShell 5.1 or newer
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The module only reads; check mode returns the same inventory.
  diff_mode:
    support: none
  platform:
    platforms: windows
options:
  store_location:
    description:
      - The store locations to read.
    type: list
    elements: str
    choices: [LocalMachine, CurrentUser]
    default: [LocalMachine]
  store_names:
    description:
      - The stores to read in every O(store_location), by their system store name (V(My) is
        C(Personal), V(Root) is C(Trusted Root Certification Authorities), V(CA) is
        C(Intermediate Certification Authorities)).
      - A store that does not exist on the host fails the task, so that a mistyped name is not
        mistaken for an empty store.
    type: list
    elements: str
    default: [My, Root, CA]
  thumbprint:
    description:
      - Return only the certificate with this SHA-1 thumbprint.
      - Accepted as administrators paste it (spaces, colons, lower case, the invisible characters
        the Windows certificate dialog adds) and normalised to 40 upper-case hex digits first.
    type: str
  purpose:
    description:
      - Also check the key usages and extended key usages this purpose needs.
    type: str
    choices: [client_auth, server_auth, token_signing]
  min_days:
    description:
      - Report a violation for every certificate with fewer whole days of validity left than this.
      - Shortcut for the C(min_days_remaining) key of O(policy), which it overrides.
    type: int
  policy:
    description:
      - Check every certificate against the collection's certificate policy and return the
        violations in RV(certificates[].violations). The keys given here override the defaults
        C(min_rsa_key_size=2048), C(min_ec_key_size=256),
        C(allowed_key_types=[RSA, EC, Ed25519, Ed448]),
        C(allowed_signature_hashes=[sha256, sha384, sha512]), C(min_days_remaining=30),
        C(require_private_key=false), C(required_key_usages=[]) and
        C(required_extended_key_usages=[]).
      - The policy is checked when any of O(policy), O(purpose) or O(min_days) is set; otherwise
        RV(certificates[].violations) is empty.
      - An unknown key or a value of the wrong type fails the task before the host is contacted.
    type: dict
  as_of:
    description:
      - Compute RV(certificates[].days_remaining), RV(certificates[].expired) and the policy
        violations at this instant instead of now, for example to see what a renewal window must
        cover. ISO 8601; a date alone means midnight UTC, a time without offset is UTC.
    type: str
  settings_from_variables:
    description:
      - Take every option this task does not set from the variables of the
        C(certops.microsoft.inventory) playbook, rendered if they hold a template.
        O(store_location) comes from C(certops_store_locations), O(store_names) from
        C(certops_store_names), O(purpose) from C(certops_purpose), O(min_days) from
        C(certops_min_days) (V(30) when that variable is unset), O(policy) from C(certops_policy)
        and O(as_of) from C(certops_as_of).
      - What the playbook uses instead of templated arguments, each of which costs a Jinja compile
        in every host's forked worker; at 200 hosts that was about a sixth of the run.
    type: bool
    default: false
notes:
  - Certificates are parsed on the controller in UTC; RV(certificates[].days_remaining) counts
    from the time the task runs (or O(as_of)), not from the host's clock.
seealso:
  - module: ansible.windows.win_certificate_info
  - module: ansible.windows.win_certificate_store
"""

EXAMPLES = r"""
---
- name: List the machine certificates of a Windows host
  certops.microsoft.certificate_inventory:
  register: inventory

- name: Look for one certificate pasted from the certificate dialog (with its invisible U+200E)
  certops.microsoft.certificate_inventory:
    store_names: [My]
    thumbprint: "\u200e3b 8f 12 aa 90 4c 1e 77 62 0d 5a 91 c4 e0 33 8f 71 b2 c9 04"

- name: Flag server certificates that expire within 30 days
  certops.microsoft.certificate_inventory:
    store_names: [My, WebHosting]
    purpose: server_auth
    min_days: 30
  register: inventory

- name: List what will have fewer than 30 days left on the first of March
  certops.microsoft.certificate_inventory:
    min_days: 30
    as_of: "2027-03-01"
  register: inventory_march

- name: Show the certificates that violate the policy
  ansible.builtin.debug:
    msg: "{{ inventory.certificates | selectattr('violations') | map(attribute='thumbprint') | list }}"
"""

RETURN = r"""
count:
  description: The number of certificates returned.
  returned: success
  type: int
  sample: 3
certificates:
  description:
    - Every certificate found, in store order.
    - Besides the keys below, each entry has every field that M(certops.microsoft.certificate_info)
      returns for a certificate (for example C(serial_number), C(thumbprint_sha256),
      C(key_usage), C(extended_key_usages), C(is_ca), C(self_signed)).
  returned: success
  type: list
  elements: dict
  contains:
    store_location:
      description: The store location the certificate was found in.
      type: str
      returned: always
      sample: LocalMachine
    store_name:
      description: The store the certificate was found in.
      type: str
      returned: always
      sample: My
    has_private_key:
      description: Whether a private key is attached to the certificate in this store.
      type: bool
      returned: always
      sample: true
    key_exportable:
      description:
        - Whether the private key may be exported (CNG export policy C(AllowExport) or
          C(AllowPlaintextExport), or the CSP key container's C(Exportable) flag).
        - V(null) when there is no private key, or when the account running the task cannot open
          it (the task then warns).
      type: bool
      returned: always
      sample: false
    key_provider:
      description: Where the private key is stored, V(CNG) or V(CSP); V(null) without a readable key.
      type: str
      returned: always
      sample: CNG
    thumbprint:
      description: The SHA-1 thumbprint, as Windows shows it (40 upper-case hex digits).
      type: str
      returned: always
      sample: 3B8F12AA904C1E77620D5A91C4E0338F71B2C904
    subject:
      description: The subject, RFC 4514.
      type: str
      returned: always
      sample: CN=sts.contoso.com
    issuer:
      description: The issuer, RFC 4514.
      type: str
      returned: always
      sample: CN=Contoso Issuing CA,DC=contoso,DC=com
    not_before:
      description: Start of validity, ISO 8601 UTC.
      type: str
      returned: always
      sample: "2026-01-05T00:00:00Z"
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
      returned: always
      sample: "2027-01-05T00:00:00Z"
    days_remaining:
      description: Whole days of validity left when the task ran (negative once expired).
      type: int
      returned: always
      sample: 43
    expired:
      description: Whether the certificate had expired when the task ran.
      type: bool
      returned: always
      sample: false
    dns_names:
      description: The DNS names in the subject alternative name extension.
      type: list
      elements: str
      returned: always
      sample: [sts.contoso.com]
    violations:
      description:
        - The policy violations, each with a stable C(code) (V(weak_key), V(weak_signature_hash),
          V(expired), V(too_little_validity), V(not_yet_valid), V(no_private_key),
          V(missing_key_usage), V(missing_eku)) and a C(reason) that says what to do.
        - Empty when no policy check was asked for.
      type: list
      elements: dict
      returned: always
      sample: [{code: too_little_validity, reason: "12 days of validity left, fewer than the required 30; renew it"}]
"""
