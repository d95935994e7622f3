# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.wfm_sharepoint_rotation: the rotation engine over the Workflow Manager + SharePoint rules."""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._products import wfm_sharepoint
from ansible_collections.certops.microsoft.plugins.plugin_utils._rotation_action import PHASE_SPEC, RotationActionBase


class ActionModule(RotationActionBase):
    """certops.microsoft.wfm_sharepoint_rotation"""

    RULES = wfm_sharepoint
    ARGUMENT_SPEC = {**PHASE_SPEC, **wfm_sharepoint.ARGUMENT_SPEC}
    VALIDATION_RULES = wfm_sharepoint.VALIDATION_RULES
