# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``complex_args`` (module options plus Ansible's ``_ansible_*`` keys) into a ModuleCall."""
from __future__ import annotations

from typing import Optional

from certops_lab.contracts import ModuleCall
from certops_lab.decoding.errors import DecodeError

INTERNAL_PREFIX = "_ansible_"


def module_options(complex_args: dict) -> dict:
    return {key: value for key, value in complex_args.items() if not key.startswith(INTERNAL_PREFIX)}


def module_call(name: str, complex_args, layout: str, **extra) -> ModuleCall:
    """A ModuleCall with the flags Ansible passes as ``_ansible_*`` keys; ``extra`` sets the rest."""
    if not isinstance(complex_args, dict):
        raise DecodeError(f"{layout} payload for {name}: module arguments are {type(complex_args).__name__}, not a dict")
    return ModuleCall(
        name=name,
        args=module_options(complex_args),
        check_mode=bool(complex_args.get("_ansible_check_mode")),
        diff=bool(complex_args.get("_ansible_diff")),
        no_log=bool(complex_args.get("_ansible_no_log")),
        invoked_name=complex_args.get("_ansible_module_name"),
        ansible_version=complex_args.get("_ansible_version"),
        layout=layout,
        **extra)


def become_info(user: Optional[str], flags) -> dict:
    """The become details a twin may see: the user and the runas flags, never the password."""
    return {"user": user, "flags": flags}
