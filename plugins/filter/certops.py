# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of certops.microsoft: thumbprint, cert_info, adfs_rollover_schedule, estate_plan.

Each is a thin wrapper over the same module_utils functions the modules use, so a filter and
its module return the same data. Their documentation is in the YAML file named after each filter.
"""
from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import decode_text_input, inspect_data
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_render import estate_plan_lines, stopped_lines
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint
from ansible_collections.certops.microsoft.plugins.module_utils._timeline import adfs_rollover_schedule as rollover_dates

# ansible-core < 2.19 renders `omit` as this placeholder prefix; 2.19+ passes a sentinel object.
_OMIT_PREFIX = "__omit_place_holder__"


def omitted(value) -> bool:
    """Whether an optional filter argument was left out, passed as None or as `omit`."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.startswith(_OMIT_PREFIX)
    return type(value).__name__ == "_OmitType"


def certops_errors(function):
    """Turn CertopsError into AnsibleFilterError carrying the same message (no traceback for users)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except CertopsError as error:
            raise AnsibleFilterError(f"{function.__name__}: {error}") from None
    return wrapper


@certops_errors
def thumbprint(value):
    """40 upper-case hex digits from a pasted SHA-1 thumbprint."""
    return normalize_thumbprint(value)


@certops_errors
def cert_info(data, password=None, now=None):
    """The certificate_info module's result for PEM text or base64 (as slurp returns it)."""
    secret = None if omitted(password) else password
    return inspect_data(decode_text_input(data), secret, None if omitted(now) else now)


@certops_errors
def adfs_rollover_schedule(not_after_or_info, generation_threshold=20, promotion_threshold=5, critical_threshold=2, now=None):
    """AD FS auto-rollover dates for a token-signing certificate's facts or not_after."""
    return rollover_dates(not_after_or_info, generation_threshold, promotion_threshold, critical_threshold, None if omitted(now) else now)


def product_plan(product: str, hostvars, hosts: list):
    """The plan document a product's role registered (run_once: every host of its play holds it), or None."""
    for host in hosts:
        registered = hostvars[host].get(f"__{product}_plan") if host in hostvars else None
        if isinstance(registered, dict) and isinstance(registered.get("plan"), dict):
            return registered["plan"]
    return None


@certops_errors
def estate_plan(products, hostvars, hosts, stopped=None):
    """Lines of one plan for the estate, from the plans the product roles of this run registered;
    with ``stopped`` (the products whose play failed), a last line naming them and what to do."""
    if not isinstance(products, list) or not all(isinstance(product, str) for product in products):
        raise CertopsError("give the list of product names in the order they ran, e.g. ['adfs_entra', 'wfm_sharepoint']")
    lines = estate_plan_lines([(product, product_plan(product, hostvars, list(hosts))) for product in products])
    return lines + stopped_lines([] if omitted(stopped) else list(stopped))


class FilterModule:
    """certops.microsoft filters."""

    def filters(self):
        return {
            "thumbprint": thumbprint,
            "cert_info": cert_info,
            "adfs_rollover_schedule": adfs_rollover_schedule,
            "estate_plan": estate_plan,
        }
