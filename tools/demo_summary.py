# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The closing summary of the rotation demo, read from the lab itself (never from the role).

Usage: python tools/demo_summary.py LAB_STATE_DIR NEW_THUMBPRINT START_EPOCH END_EPOCH PLAN_FROM ROTATION_FROM ROTATION_TO
(the last three are audit line numbers: where the plan run and the rotation run begin and end).
"""
from __future__ import annotations

import base64
import collections
import hashlib
import json
import os
import sys

from certops_lab import control


def thumbprint(certificate_b64: str) -> str:
    return hashlib.sha1(base64.b64decode(certificate_b64)).hexdigest().upper()  # nosec B324 - a thumbprint


def products(state_dir: str) -> dict:
    with open(os.path.join(state_dir, "state.json"), encoding="utf-8") as handle:
        return json.load(handle)["estate"]["products"]


def executions_per_host(lines, plan: slice, rotation: slice) -> dict:
    """{host: [module executions of the plan run, of the rotation run]}, from the lab's audit."""
    counts = collections.defaultdict(lambda: [0, 0])
    for column, phase in enumerate((plan, rotation)):
        for line in lines[phase]:
            counts[json.loads(line)["host"]][column] += 1
    return dict(sorted(counts.items()))


def main(state_dir: str, new: str, start: float, end: float, marks) -> int:
    farms = products(state_dir)
    wfm = next(iter(farms["wfm"].values()))
    trusted = sorted({thumbprint(issuer["certificate"]) for farm in farms["sharepoint"].values() for issuer in farm["issuers"]})
    violations = control.call(state_dir, "violations")
    print(f"Workflow Manager signs with: {wfm['current']} (new certificate: {new})")
    print(f"SharePoint trusts:           {', '.join(trusted)}")
    print(f"Rotation wall time:          {end - start:.1f} s")
    plan_from, rotation_from, rotation_to = marks
    lines = control.call(state_dir, "audit")
    print("WinRM module executions per host (plan / rotation):")
    for host, (plan, real) in executions_per_host(lines, slice(plan_from, rotation_from), slice(rotation_from, rotation_to)).items():
        print(f"  {host:8} {plan:3} / {real:3}")
    print(f"Invariant violations:        {len(violations)}")
    healthy = wfm["current"] == new and new in trusted and not violations
    print("Result: rotated, trusted, no moment without trust" if healthy else "Result: NOT healthy, see above")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), [int(mark) for mark in sys.argv[5:8]]))
