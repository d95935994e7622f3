# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.exchange_auth_rotation: the rotation engine over the Exchange Auth certificate rules."""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth
from ansible_collections.certops.microsoft.plugins.plugin_utils._rotation_action import PHASE_SPEC, RotationActionBase


class ActionModule(RotationActionBase):
    """certops.microsoft.exchange_auth_rotation"""

    RULES = exchange_auth
    ARGUMENT_SPEC = {**PHASE_SPEC, **exchange_auth.ARGUMENT_SPEC}
    VALIDATION_RULES = exchange_auth.VALIDATION_RULES
