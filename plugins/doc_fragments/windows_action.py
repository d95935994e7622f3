# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: attributes of the certops action modules that change a Windows host."""
from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the action modules that read a Windows host, decide on the controller and change it."""

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reads the live state and returns what it would change in RV(plan) without changing it.
  diff_mode:
    support: full
  platform:
    platforms: windows
"""
