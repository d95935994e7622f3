# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.d365_service_fabric_rotation: the rotation engine over the D365 on Service Fabric rules."""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric
from ansible_collections.certops.microsoft.plugins.plugin_utils._rotation_action import PHASE_SPEC, RotationActionBase


class ActionModule(RotationActionBase):
    """certops.microsoft.d365_service_fabric_rotation"""

    RULES = d365_service_fabric
    ARGUMENT_SPEC = {**PHASE_SPEC, **d365_service_fabric.ARGUMENT_SPEC}
    VALIDATION_RULES = d365_service_fabric.VALIDATION_RULES
