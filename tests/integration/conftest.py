# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration tests run real ansible-playbook against the lab: its fixtures come from certops_lab."""
from __future__ import annotations

from certops_lab.pytest_plugin import lab_factory  # noqa: F401  pylint: disable=unused-import
