# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exchange Auth certificate: the lines a person reads (summary, next action, warnings).

PRIVATE to the collection: the name and location may change without notice.

A check-mode run prints which of MEAC's scenarios applies and why, what this run does instead or in
addition, and what it will wait for; the summary of a real run says what changed and when to come back.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._products.exchange_auth_decide import meac_input

VAR = "exchange_auth_"
ACTIONS = {"nothing": "nothing to change", "import": "copy the certificate to the servers that lack it",
           "stage": "stage a new next Auth certificate", "replace": "replace the Auth certificate now (emergency)",
           "activate": "publish the staged next Auth certificate now", "finish": "restart and recycle the servers that still use the old one"}
HOW = {"given": "the certificate you gave", "adopted": "an unused Auth certificate a previous run created (adopted, not created again)",
       "staged": "the staged next certificate", "create": "a new certificate, created on the acting server",
       "created": "created on the acting server earlier in this run"}


def _days(value: int) -> str:
    return "none or expired" if value < 0 else f"{value} day(s) left"


def situation_lines(org) -> list:
    state, auth = meac_input(org, org.now, False), org.auth
    return [f"Exchange organisation: {len(org.hosts)} Mailbox server(s) read ({', '.join(org.hosts)}) in AD site(s) {', '.join(org.sites())}; "
            f"organisation-wide steps run on {org.acting}",
            f"AuthConfig: current {auth['current'] or 'none'} ({_days(state.current_days)}), next {auth['next'] or 'none'}"
            + (f" (effective {auth['next_effective']}, {_days(state.next_days)})" if auth["next"] else "")
            + f", previous {auth['previous'] or 'none'}"]


def decision_lines(decision, decided: dict) -> list:
    lines = [f"MEAC's decision: scenario {decision.meac.number} ({decision.meac.name}): {decision.meac_reason}",
             f"This run: {ACTIONS[decision.action]}" + (f": {decision.why}" if decision.why else " (as MEAC)")]
    if decided["how"]:
        lines.append(f"Auth certificate to {'publish' if decision.publish else 'stage'}: {decided['new'] or '(created in this run)'}, "
                     f"{HOW[decided['how']]}")
    return lines


def end_lines(org, end) -> list:
    if end is None:
        return ["Then (same run, planned again with the new certificate): copy it to every server, stage or publish it, restart behind "
                "health gates, verify"]
    lines = [f"End state: current {end['current']}, next {end['next'] or 'none'}" + (f" effective {end['effective']}" if end["next"] else "")]
    kept = ", ".join(f"{host} {state['transport'] or 'none'}" for host, state in org.states.items())
    lines.append(f"SMTP default certificates stay as they are: {kept}")
    return lines


def summary_lines(org, decision, decided: dict, end) -> list:
    return situation_lines(org) + decision_lines(decision, decided) + end_lines(org, end) + [
        f"Cleanup (only when asked): removes the retired Auth certificate {end['previous']} and clears it from AuthConfig"
        if end and end.get("previous") and end["previous"] not in (end["current"], end["next"]) else "Cleanup: nothing to remove"]


def next_actions(decision, decided: dict, end, steps: list, cleanup: list) -> dict:
    waiting = bool(end and end["next"])
    applied = (f"re-run after {end['effective']} to publish {end['next']} and restart the servers" if waiting else
               f"run again with {VAR}cleanup=true to remove the retired certificate (irreversible)" if cleanup else "nothing: the Auth certificate is in order")
    if decided["how"] == "create":
        applied = "nothing: the same run planned again with the new certificate"
    return {"check": f"run without --check to apply the {len(steps)} step(s)" if steps else applied, "applied": applied, "waiting": applied,
            "cleaned": "nothing: the retired Auth certificate is gone"}


def warnings(org, decision, params: dict) -> list:
    found = [f"not acted on: {text} (override {VAR}ignore_unreachable_servers=true): import the Auth certificate there before it takes effect"
             for text in org.skipped]
    if len(org.sites()) > 1:
        found.append(f"Exchange runs in {len(org.sites())} AD sites: the servicelet's replication between sites may fail, which is why "
                     "certops imports the certificate on every server itself")
    if org.hybrid and params["ignore_hybrid"] and decision.action in ("stage", "replace", "activate"):
        found.append("Exchange hybrid is configured and was ignored on request: upload the new Auth certificate's key to Exchange Online "
                     "(ConfigureExchangeHybridApplication.ps1 -UpdateCertificate or the Hybrid Configuration Wizard) before it takes effect")
    if decision.restart_hosts and not params["restart"]:
        found.append("restarts are off: OWA, ECP and EWS pick up the new certificate when the app pools recycle (within about an hour)")
    return found
