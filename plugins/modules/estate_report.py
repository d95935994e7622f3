#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.estate_report action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: estate_report
short_description: Write the estate report of every product on the controller
version_added: 0.2.0
description:
  - Joins the certificate inventory of every host (M(certops.microsoft.certificate_inventory)) with what each product role's
    estate entry point found (C(tasks_from=estate)), each certificate with its host and store, or where it lives outside a host
    (an Entra federation, a SharePoint trust), its product and role (current, next, previous, primary, secondary, outbound,
    issuer, trusted, cluster, client, encryption, signing, key credential), its expiry and policy findings; what each product
    does by itself and when (AD FS auto-rollover, Exchange's effective date), and the next human action with its deadline (LCS
    Update settings, staging an Auth certificate, a manual rotation).
  - Writes C(estate.json) (schema C(docs/schemas/estate-v1.json)), C(estate.md), C(estate.html) (one self-contained page,
    sortable and filterable, with a timeline of expiries and deadlines; no request leaves it), C(estate-junit.xml) (a
    testcase per certificate, failed by a critical finding, and a failed testcase per human deadline that has passed, for a CI
    gate), and C(estate.ics) (one event per deadline, stable UIDs, an alarm a week ahead).
  - Returns a short summary (counts by severity, the earliest deadline, the absolute path of the files) and hands the same to
    AWX / Automation Platform as C(set_stats) data C(certops_estate).
  - Runs on the controller only; use it with C(run_once). The inputs carry no secret, so the files hold none.
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
      - In check mode nothing is written; C(playbooks/report.yml) runs it with C(check_mode=false), since the files are the point of the run.
options:
  results:
    description: The registered result of M(certops.microsoft.certificate_inventory) for every host, keyed by inventory host name.
    type: dict
    required: true
  estates:
    description: The registered estate results of the product roles (for example C(wfm_sharepoint_estate)), one per product.
    type: list
    elements: dict
    default: []
  dest:
    description:
      - The directory to write into, on the controller. A relative path is relative to the directory C(ansible-playbook) runs in
        (under AWX, the job's private data directory, so collect it as an artifact).
    type: path
    default: certops-report
  formats:
    description: The files to write.
    type: list
    elements: str
    choices: [html, ics, json, junit, markdown]
    default: [html, ics, json, junit, markdown]
  as_of:
    description: The instant (ISO 8601) days left and passed deadlines are computed at; default now. Pin it for reports that compare.
    type: str
seealso:
  - module: certops.microsoft.certificate_inventory
  - module: certops.microsoft.inventory_report
"""

EXAMPLES = r"""
---
- name: Write the estate report of the inventory and the Workflow Manager estate
  certops.microsoft.estate_report:
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars) | map(attribute='inventory', default=None))) }}"
    estates: ["{{ wfm_sharepoint_estate }}"]
  run_once: true
  check_mode: false
"""

RETURN = r"""
dest:
  description: The absolute path of the directory the files are in.
  returned: success
  type: str
  sample: /home/admin/certops-report
files:
  description: The path of every file written, in the order of O(formats).
  returned: success
  type: list
  elements: str
totals:
  description: C(certificates), C(by_severity) (rows by their worst finding, critical, warning, info or ok) and C(by_product).
  returned: success
  type: dict
earliest_deadline:
  description: The earliest deadline from now on (C(when), C(kind), C(product), C(what), C(host), C(thumbprint)), or null.
  returned: success
  type: dict
msg:
  description: The summary lines printed at the end of the run.
  returned: success
  type: list
  elements: str
"""
