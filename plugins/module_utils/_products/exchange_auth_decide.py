# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exchange Auth certificate: what this run does, decided from MEAC's matrix and the organisation's state.

PRIVATE to the collection: the name and location may change without notice.

MEAC's scenario (exchange_auth_matrix) is computed first and reported as is. The action taken builds
on it; where it differs, the decision says why (docs/exchange-auth-rotation.md has the table):
- activate: a staged next certificate whose effective date has passed (or whose current one is
  dead) is published at once and every server restarts MSExchangeServiceHost and recycles its
  OWA/ECP pools behind a health gate. MEAC waits up to ~12 hours for the AuthAdmin servicelet, and
  for a dead current with a valid next (its scenario 3) creates yet another certificate;
- replace (MEAC 1, 3): a new certificate, copied to every server before it is published (make
  before break), and the previous one is kept until cleanup (MEAC clears it at once);
- stage (MEAC 2): a new next certificate with MEAC's effective date, or the one given if it is at
  least 48 hours ahead; when the current one has 2 days or less (MEAC's offset 0) there is no time
  for 48 hours of notice, so it is published at once as in an emergency replace;
- import (MEAC 4, 5): copy the certificate from a server that has it; if the organisation then is
  in MEAC's staging window, the same run also stages (MEAC does that on its next daily run);
- finish: after a publication (by the servicelet or a run that stopped half way), the servers whose
  MSExchangeServiceHost or OWA/ECP pools started before it restart and recycle.
"""
from __future__ import annotations

import dataclasses
import datetime

from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_inputs as inputs
from ansible_collections.certops.microsoft.plugins.module_utils._products.exchange_auth_matrix import (
    MeacDecision, MeacInput, effective_offset_days, lifetime_days, meac_scenario, scenario_reason)
from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso

ONE_DAY = datetime.timedelta(days=1)


@dataclasses.dataclass
class Decision:
    meac: MeacDecision
    meac_reason: str
    action: str                                            # nothing, import, stage, replace, activate, finish
    why: str = ""                                          # our reason, where it differs from MEAC's
    imports: dict = dataclasses.field(default_factory=dict)  # thumbprint -> hosts that lack it
    new_needed: bool = False                               # stage/replace: a certificate becomes next
    publish: bool = False                                  # the next certificate becomes current in this run
    effective: object = None                               # staging: the effective date (None: now, emergency)
    restart_hosts: list = dataclasses.field(default_factory=list)


def expiry(org, thumbprint: str, now):
    der = org.der(thumbprint) if thumbprint and org.holders(thumbprint) else ""
    return parse_iso(inputs.facts_of(der, now)["not_after"]) if der else None


def meac_input(org, now, enforce: bool) -> MeacInput:
    auth = org.auth
    names = [org.name(host) for host in org.missing(auth["current"])], [org.name(host) for host in org.missing(auth["next"])]
    return MeacInput(lifetime_days(expiry(org, auth["current"], now), now), lifetime_days(expiry(org, auth["next"], now), now),
                     tuple(names[0]), tuple(names[1]), enforce)


def restart_hosts(org) -> list:
    """Servers whose MSExchangeServiceHost or OWA/ECP pools started before AuthConfig last published (previous set, no next)."""
    auth = org.auth
    if not auth["previous"] or auth["next"] or not auth["when_changed"]:
        return []
    changed = parse_iso(auth["when_changed"])
    return [host for host, state in org.states.items()
            if any(parse_iso(started) < changed for started in [state["service_host"]["started"], *state["pools"].values()] if started)]


def activation(org, now, state: MeacInput) -> bool:
    """A staged next certificate to publish now: its effective date has passed, or the current one is dead."""
    auth = org.auth
    if not auth["next"] or state.next_days < 0:
        return False
    return state.current_days <= 0 or (bool(auth["next_effective"]) and parse_iso(auth["next_effective"]) <= now)


def _imports(org, state: MeacInput, include_next: bool = True) -> dict:
    """Valid certificates to copy to the servers that lack them: thumbprint -> hosts."""
    found = {}
    current, nxt = org.auth["current"], org.auth["next"]
    if current and state.current_missing and state.current_days >= 0:
        found[current] = org.missing(current)
    if include_next and nxt and state.next_missing and state.next_days >= 0:
        found[nxt] = org.missing(nxt)
    return found


def _activate(org, state: MeacInput, meac, reason) -> Decision:
    if state.current_days > 0:
        why = ("the staged next certificate's effective date has passed: it is published now and every server restarts behind a health "
               "gate (MEAC waits for the AuthAdmin servicelet)")
    else:
        why = "the current certificate is dead and the staged next one is valid: it is published now (MEAC creates another certificate)"
    imports = {org.auth["next"]: org.missing(org.auth["next"])} if state.next_missing else {}
    return Decision(meac, reason, "activate", why, imports=imports, publish=True, restart_hosts=org.hosts)


def _replace(org, state, meac, reason) -> Decision:
    why = "a new certificate is copied to every server before it is published; the previous one is kept until cleanup (MEAC clears it)"
    return Decision(meac, reason, "replace", why, new_needed=True, publish=True, restart_hosts=org.hosts)


def _stage(org, state: MeacInput, meac, reason, given_date, now) -> Decision:
    offset = effective_offset_days(state.current_days)
    if offset == 0:
        why = (f"the current certificate has {state.current_days} day(s) left: too little for 48 hours of notice, so the new one is "
               "published at once (MEAC stages it effective now and restarts the service host)")
        return Decision(meac, reason, "stage", why, new_needed=True, publish=True, restart_hosts=org.hosts)
    effective = given_date or (now + offset * ONE_DAY).replace(microsecond=0)
    return Decision(meac, reason, "stage", "", imports=_imports(org, state, include_next=False), new_needed=True, effective=effective)


def decide(org, now, params: dict, given_date) -> Decision:
    state = meac_input(org, now, bool(params.get("enforce_new")) and not staged_and_sound(org, now))
    meac = meac_scenario(state)
    reason = scenario_reason(state, meac)
    if activation(org, now, state):
        return _activate(org, state, meac, reason)
    if meac.number in (1, 3):
        return _replace(org, state, meac, reason)
    if meac.number == 2:
        return _stage(org, state, meac, reason, given_date, now)
    if meac.number in (4, 5):
        return _import(org, state, meac, reason, given_date, now)
    finishing = restart_hosts(org)
    if finishing:
        return Decision(meac, reason, "finish", "AuthConfig published a new certificate that these servers have not loaded yet: they restart "
                        "MSExchangeServiceHost and recycle OWA/ECP one at a time", restart_hosts=finishing)
    return Decision(meac, reason, "nothing")


def _import(org, state: MeacInput, meac, reason, given_date, now) -> Decision:
    repaired = MeacInput(state.current_days, state.next_days, (), (), state.enforce)
    if meac_scenario(repaired).number != 2:
        return Decision(meac, reason, "import", imports=_imports(org, state))
    staged = _stage(org, repaired, meac, reason, given_date, now)
    why = ("once every server holds the current certificate, the organisation is in MEAC's staging window: the same run stages a new next "
           "certificate (MEAC does it on its next daily run)")
    return dataclasses.replace(staged, why=staged.why or why, imports=_imports(org, state, include_next=False))


def staged_and_sound(org, now) -> bool:
    """A valid next certificate is staged on every server: enforcing a new one would only replace it (a re-run must not)."""
    auth = org.auth
    return bool(auth["next"]) and not org.missing(auth["next"]) and lifetime_days(expiry(org, auth["next"], now), now) > 120
