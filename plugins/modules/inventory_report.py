#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.inventory_report action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: inventory_report
short_description: Write the certificate report of an estate on the controller
version_added: 0.1.0
description:
  - Writes the certificates that M(certops.microsoft.certificate_inventory) found on every host
    into report files in one directory on the controller, in one step for the whole estate.
  - V(json) writes C(certificates.json), every field of every certificate per host, the hosts
    not inventoried and the number of certificates. V(markdown) writes C(certificates.md), a table
    (host, store, subject, thumbprint, expiry, days left, key exportable, policy violations) and
    the hosts not inventoried.
  - A host whose result is missing, failed, unreachable or skipped is listed as not inventoried.
  - Runs on the controller only; the host the task runs for is not contacted. Use it with
    C(run_once).
  - Each file is written through a temporary file in the same directory and a rename, with mode
    C(0644), and only when its content or mode differs. The directory is created (mode C(0755))
    when missing.
author:
  - certops.microsoft maintainers (@certops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.controller_report
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written; the task says whether the reports would change.
      - The reports are the output of an inventory run, so the C(certops.microsoft.inventory)
        playbook runs this task with C(check_mode=false) and writes them in check mode too.
options:
  results:
    description:
      - The registered result of M(certops.microsoft.certificate_inventory) for every host the
        report covers, keyed by inventory host name.
      - A host with no result (V(null)), or whose result is failed, unreachable or skipped, is
        listed as not inventoried.
      - Exactly one of O(results) and O(results_from) is required.
    type: dict
  results_from:
    description:
      - The name of the variable every host of the play registered its
        M(certops.microsoft.certificate_inventory) result in; the report covers every host of the
        play (C(ansible_play_hosts_all)), a host without that variable as not inventoried.
      - The results are read as stored, where a template building O(results) renders every
        certificate of every host first (most of this task's time at 200 hosts). What the
        C(certops.microsoft.inventory) playbook uses.
    type: str
  dest:
    description:
      - The directory to write the reports into, on the controller. A relative path is relative to
        the directory C(ansible-playbook) runs in.
    type: path
    required: true
  formats:
    description:
      - The reports to write; each is one file in O(dest).
      - V(json) is C(certificates.json), V(markdown) is C(certificates.md).
    type: list
    elements: str
    choices: [json, markdown]
    default: [json, markdown]
notes:
  - In the Markdown table, C(|) in a value is escaped and line breaks become spaces, so that a
    subject cannot break the table.
seealso:
  - module: certops.microsoft.certificate_inventory
"""

EXAMPLES = r"""
---
- name: Read the certificate stores
  certops.microsoft.certificate_inventory:
  register: inventory

- name: Write certificates.json and certificates.md for every host of the play
  certops.microsoft.inventory_report:
    results_from: inventory
    dest: ./certops-report
  run_once: true
  check_mode: false

- name: Write only the JSON report, for the hosts of a group
  certops.microsoft.inventory_report:
    results: >-
      {{ dict(groups['web'] | zip(groups['web'] | map('extract', hostvars)
      | map(attribute='inventory', default=None))) }}
    dest: /var/lib/certops/reports
    formats: [json]
  run_once: true
"""

RETURN = r"""
dest:
  description: The directory the reports are in.
  returned: success
  type: str
  sample: ./certops-report
files:
  description: The path of every report file, in the order of O(formats).
  returned: success
  type: list
  elements: str
  sample: [./certops-report/certificates.json, ./certops-report/certificates.md]
hosts:
  description: The hosts whose certificates are in the reports.
  returned: success
  type: list
  elements: str
  sample: [sp01, wfm01]
not_inventoried:
  description: The hosts without an inventory (no result, failed, unreachable or skipped).
  returned: success
  type: list
  elements: str
  sample: [sp02]
certificate_count:
  description: The number of certificates in the reports.
  returned: success
  type: int
  sample: 14
"""
