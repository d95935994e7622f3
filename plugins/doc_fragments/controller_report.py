# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: attributes of the certops actions that write reports on the controller."""
from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by inventory_report and estate_report (each documents its own check mode)."""

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
    details: Run it with C(run_once); it reads every host's result from O(results).
  diff_mode:
    support: none
  platform:
    platforms: all
    details: The files are written on the controller, whatever the platform of the hosts.
"""
