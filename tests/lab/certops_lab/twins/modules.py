# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of ansible.windows.win_ping and ansible.windows.setup (gather_facts)."""
from __future__ import annotations

from certops_lab.clock import isoformat
from certops_lab.twins.paths import environment
from certops_lab.twins.registry import UnhandledException, module_twin


@module_twin("ansible.windows.win_ping", options=("data",))
def win_ping(_estate, _host, args, _ctx) -> dict:
    data = args.get("data", "pong")
    if data == "crash":
        raise UnhandledException("boom")   # win_ping.ps1 throws "boom" on purpose
    return {"changed": False, "ping": data}


# setup.ps1's subset groups; "all" is their union.
SUBSET_GROUPS = {
    "min": ("date_time", "distribution", "dns", "env", "local", "platform", "powershell_version", "user"),
    "network": ("all_ipv4_addresses", "all_ipv6_addresses", "interfaces", "windows_domain", "winrm"),
    "hardware": ("bios", "memory", "processor", "uptime", "virtual"),
    "external": ("facter",),
}
ALL_SUBSETS = frozenset(name for group in SUBSET_GROUPS.values() for name in group)


def selected_subsets(gather_subset: list) -> tuple:
    """setup.ps1's subset arithmetic: start from all, apply !exclusions, add explicit names.
    Returns (subsets, warnings)."""
    groups = dict(SUBSET_GROUPS, all=tuple(ALL_SUBSETS))
    explicit, excluded, warnings = set(), set(), []
    for item in gather_subset:
        name = str(item)
        if name.startswith("!"):
            name = name[1:]
            if name == "all":
                excluded |= ALL_SUBSETS - set(SUBSET_GROUPS["min"])
            elif name in groups or name in ALL_SUBSETS:
                excluded |= set(groups.get(name, (name,)))
        elif name in groups or name in ALL_SUBSETS:
            explicit |= set(groups.get(name, (name,)))
        else:
            warnings.append(f"invalid value {name} specified in gather_subset")
    return (ALL_SUBSETS - excluded) | explicit, warnings


def _distribution(host, _ctx) -> dict:
    facts = host.facts
    return {"ansible_distribution": facts.os_name, "ansible_distribution_version": facts.os_version,
            "ansible_distribution_major_version": facts.os_version.split(".")[0], "ansible_os_family": "Windows",
            "ansible_os_name": facts.os_name, "ansible_os_product_type": "server", "ansible_os_installation_type": "Server"}


def _platform(host, _ctx) -> dict:
    facts = host.facts
    return {"ansible_hostname": facts.hostname, "ansible_fqdn": facts.fqdn, "ansible_domain": facts.domain,
            "ansible_netbios_name": facts.hostname.upper(), "ansible_nodename": facts.fqdn,
            "ansible_kernel": facts.os_version, "ansible_system": "Win32NT", "ansible_architecture": facts.architecture,
            "ansible_architecture2": "x86_64" if facts.architecture == "64-bit" else "i386"}


def _date_time(_host, ctx) -> dict:
    now = ctx.now
    return {"ansible_date_time": {"iso8601": isoformat(now.replace(microsecond=0)), "date": now.strftime("%Y-%m-%d"),
                                  "time": now.strftime("%H:%M:%S"), "epoch": str(int(now.timestamp())), "tz": "UTC",
                                  "tz_offset": "+00:00", "year": now.strftime("%Y"), "month": now.strftime("%m"),
                                  "day": now.strftime("%d"), "hour": now.strftime("%H"), "minute": now.strftime("%M"),
                                  "second": now.strftime("%S"), "weekday": now.strftime("%A")}}


def _user(host, ctx) -> dict:
    user = ctx.become_user or host.user
    return {"ansible_user_id": user, "ansible_user_dir": host.profile_dir, "ansible_user_uid": 0,
            "ansible_user_gecos": "", "ansible_user_sid": ""}


def _env(host, _ctx) -> dict:
    return {"ansible_env": environment(host)}


FACT_SOURCES = {
    "distribution": _distribution,
    "platform": _platform,
    "date_time": _date_time,
    "user": _user,
    "env": _env,
    "powershell_version": lambda host, _ctx: {"ansible_powershell_version": host.facts.powershell_version},
    "all_ipv4_addresses": lambda host, _ctx: {"ansible_ip_addresses": list(host.facts.ip_addresses)},
    "windows_domain": lambda host, _ctx: {"ansible_windows_domain": host.facts.domain,
                                          "ansible_windows_domain_member": bool(host.facts.domain),
                                          "ansible_windows_domain_role": "Member server"},
}


@module_twin("ansible.windows.setup", options=("_measure_subset", "fact_path", "gather_subset", "gather_timeout"))
def setup(_estate, host, args, ctx) -> dict:
    """Facts of the subsets the lab models (the other valid subsets add nothing here)."""
    gather_subset = args.get("gather_subset") or ["all"]
    if isinstance(gather_subset, str):
        gather_subset = [part.strip() for part in gather_subset.split(",")]
    subsets, warnings = selected_subsets(gather_subset)
    facts = {"gather_subset": list(gather_subset), "module_setup": True}
    for subset in sorted(subsets & set(FACT_SOURCES)):
        facts.update(FACT_SOURCES[subset](host, ctx))
    result = {"changed": False, "ansible_facts": facts}
    if warnings:
        result["warnings"] = warnings
    return result
