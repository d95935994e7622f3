# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twin of ansible.windows.win_service for existing services: state, start_mode, display_name, description.

Creating services, accounts, failure actions and the other SCM settings are not modelled; asking for
them fails with a message that names the option, rather than pretending to apply it.
"""
from __future__ import annotations

from certops_lab.twins.registry import ModuleFailure, check_choice, module_twin

# win_service.ps1's spec (names and aliases): anything else fails as Ansible.Basic fails it
SPEC_OPTIONS = ("dependencies", "dependency_action", "description", "desktop_interact", "display_name", "error_control",
                "failure_actions", "failure_actions_on_non_crash_failure", "failure_command", "failure_reboot_msg",
                "failure_reset_period_sec", "failure_reset_period", "force_dependent_services", "load_order_group", "name",
                "password", "path", "pre_shutdown_timeout_ms", "pre_shutdown_timeout", "required_privileges", "service_type",
                "sid_info", "start_mode", "state", "update_password", "username")
MODELLED_OPTIONS = frozenset({"name", "state", "start_mode", "display_name", "description", "force_dependent_services"})
STATES = ("started", "stopped", "restarted", "absent", "paused")
START_MODES = ("auto", "manual", "disabled", "delayed")
RUN_STATE = {"started": "running", "restarted": "running", "stopped": "stopped", "paused": "paused"}


def service_view(service) -> dict:
    """The keys win_service returns for an existing service."""
    return {"exists": True, "name": service.name, "display_name": service.display_name, "state": service.state,
            "start_mode": service.start_mode, "path": service.path, "description": service.description,
            "username": service.username, "desktop_interact": False, "dependencies": list(service.dependencies),
            "depended_by": [], "can_pause_and_continue": False}


def _validate(args: dict) -> None:
    unmodelled = sorted(key for key, value in args.items() if key not in MODELLED_OPTIONS and value is not None)
    if unmodelled:
        raise ModuleFailure(f"the lab's win_service twin does not model option(s) {', '.join(unmodelled)}: "
                            "use it for state, start_mode, display_name and description of existing services")
    for option, choices in (("state", STATES), ("start_mode", START_MODES)):
        check_choice(option, args.get(option), choices)


def _desired(service, args: dict) -> dict:
    """The settings after the call (only what was asked changes)."""
    wanted = {"state": RUN_STATE.get(args.get("state"), service.state)}
    for option in ("start_mode", "display_name", "description"):
        wanted[option] = args[option] if args.get(option) is not None else getattr(service, option)
    return wanted


def _apply(service, args: dict, ctx) -> bool:
    if args.get("state") == "paused":
        raise ModuleFailure(f"failed to pause service {service.name}: The service does not support pausing")
    wanted = _desired(service, args)
    changed = any(getattr(service, key) != value for key, value in wanted.items()) or args.get("state") == "restarted"
    if changed and not ctx.check_mode:
        for key, value in wanted.items():
            setattr(service, key, value)
        if args.get("state") == "restarted":
            service.restarts += 1
    return changed


@module_twin("ansible.windows.win_service", options=SPEC_OPTIONS)
def win_service(_estate, host, args, ctx) -> dict:
    _validate(args)
    name = args.get("name")
    if not name:
        raise ModuleFailure("missing required arguments: name")
    service = host.service(name)
    if service is None:
        if args.get("state") not in (None, "absent") or args.get("start_mode") or args.get("display_name"):
            raise ModuleFailure(f"Service '{name}' is not installed, need to set 'path' to create a new service")
        return {"changed": False, "exists": False}
    if args.get("state") == "absent":
        raise ModuleFailure(f"the lab's win_service twin does not remove services (asked to remove {name})")
    before = service_view(service)
    changed = _apply(service, args, ctx)
    after = service_view(service) if not ctx.check_mode else dict(before, **_desired(service, args))
    return {"changed": changed, **after, "diff": {"before": before, "after": after}}
