# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS + Entra: what each mode plans from the read state.

PRIVATE to the collection: the name and location may change without notice.

- ``auto`` (AutoCertificateRollover on): AD FS generates and promotes its own certificates on the
  schedule of its own thresholds (Get-AdfsProperties). Entra must hold the next token-signing
  certificate before promotion. Entra's polling fetches it when the metadata is reachable
  (products.md §2.4), so the plan waits for that and checks again; when Entra cannot poll, or
  promotion is nearer than the margin, it pushes nextSigningCertificate itself. A domain that does
  not trust the certificate AD FS signs with now is repaired at once.
- ``ca`` (CA-issued certificates, AutoCertificateRollover off): stage the new certificate on every
  node (key readable by the AD FS service account) -> add it as secondary -> Entra
  nextSigningCertificate on every domain, signingCertificate untouched -> promote in AD FS ->
  Entra signingCertificate = new, the old one kept as next for the switch-over -> cleanup, when
  asked: Entra stops trusting the old one, AD FS removes it (Windows Server docs "Obtain and
  configure TS and TD certificates for AD FS"; jpazureid/blog PR #726, #1107). Token-decrypting
  certificates go the same way without Entra.
- ``emergency`` (a compromised token-signing key; Entra docs "Emergency rotation of the AD FS
  certificates"): ``Update-AdfsCertificate -Urgent`` then a second ``Update-AdfsCertificate``, then
  every domain trusts exactly the two new certificates; only with the explicit emergency flag.
"""
from __future__ import annotations

import datetime

from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra_steps as steps_
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_inputs import DECRYPTING, KINDS, SIGNING, VAR
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_state import (
    certificates_of, holds, manual_relying_parties, newer_secondary, primary_of, secondaries_of)
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import ManualGate, Wait
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z, parse_iso
from ansible_collections.certops.microsoft.plugins.module_utils._timeline import adfs_rollover_schedule

CANNOT_POLL = ("couldNotAccessRemoteHost", "connectionError", "notFound", "unauthorized", "forbidden", "badRequest", "providerError",
               "xmlParsingError", "noStsAuthUrlFound", "noFederationProtocolFound", "unknownError", "internalServerError")


def new_parts() -> dict:
    return {"steps": [], "cleanup": [], "waits": [], "gates": [], "expected": {}, "summary": [], "warnings": [], "applied": ""}


def expect(parts: dict, host: str, **facts) -> None:
    parts["expected"].setdefault(host, {}).update(facts)


def fact(name: str, domain: dict) -> str:
    return f"{name}@{domain['id']}"


def can_poll(decided: dict, domain: dict) -> bool:
    """Whether Entra can fetch the farm's metadata: the user's word, else its last polling result (unknown counts as no)."""
    if decided["options"]["metadata_reachable"] is not None:
        return decided["options"]["metadata_reachable"]
    return domain["federation"]["update_result"] in ("success", "noNewCertificateFound")


def trusted_everywhere(parts: dict, decided: dict) -> None:
    """Verify: every domain trusts the certificate AD FS signs with (the sign-in condition)."""
    for domain in decided["domains"]:
        expect(parts, decided["farm"]["primary"], **{fact("entra_trusts_adfs_signing", domain): True})


# --- auto-rollover ----------------------------------------------------------------------------------
def schedule_of(decided: dict, primary: dict, secondary) -> dict:
    properties = decided["farm"]["properties"]
    schedule = adfs_rollover_schedule(primary["not_after"], properties["generation"], properties["promotion"], properties["critical"],
                                      now=decided["now"])
    if secondary is not None:
        promoted = parse_iso(secondary["not_before"]) + datetime.timedelta(days=int(properties["promotion"]))
        schedule["promotion_date"] = iso_z(min(promoted, parse_iso(schedule["critical_date"])))
    return schedule


def auto_domain(parts: dict, decided: dict, domain: dict, certificates: tuple) -> None:
    """One domain in auto-rollover mode: repair, push the next certificate, switch after promotion, or wait for Entra's poll."""
    primary, secondary, previous, schedule = certificates
    if not holds(domain, primary["thumbprint"]):
        parts["warnings"].append(f"{domain['id']} does not trust {primary['thumbprint']}, the certificate AD FS signs with: federated sign-ins to "
                                 "it fail now; the plan repairs it first")
        parts["steps"].append(steps_.entra_step(decided, domain, steps_.signing_change(primary, secondary, [], "entra-repair", "repair")))
        return
    if secondary is not None and not holds(domain, secondary["thumbprint"]):
        auto_push_or_wait(parts, decided, domain, secondary, schedule)
        return
    if secondary is None and domain["federation"]["signing"] != primary["thumbprint"] and not can_poll(decided, domain):
        parts["steps"].append(steps_.entra_step(decided, domain, steps_.signing_change(primary, previous, [])))


def auto_push_or_wait(parts: dict, decided: dict, domain: dict, secondary: dict, schedule: dict) -> None:
    deadline = parse_iso(schedule["promotion_date"]) - datetime.timedelta(days=decided["params"]["promotion_margin_days"])
    if can_poll(decided, domain) and decided["now"] < deadline:
        parts["waits"].append(Wait(id=f"entra-poll-{domain['id']}", until=iso_z(deadline),
                                   reason=f"Entra polls the farm's metadata daily and should add {secondary['thumbprint']} to {domain['id']} by then",
                                   then=f"check that {domain['id']} holds it, and push it as nextSigningCertificate if Entra has not"))
        return
    why = "Entra cannot fetch the metadata" if not can_poll(decided, domain) else f"promotion on {schedule['promotion_date']} is too near"
    parts["steps"].append(steps_.entra_step(decided, domain, steps_.next_change(domain, steps_.certificate_view(secondary), [])))
    parts["summary"].append(f"{domain['id']}: push {secondary['thumbprint']} as nextSigningCertificate ({why})")
    expect(parts, decided["farm"]["primary"], **{fact("entra_next", domain): secondary["thumbprint"]})


def auto_waits(parts: dict, decided: dict, certificates: tuple) -> None:
    """The product timers the run waits for: promotion where Entra cannot follow, or generation when there is no next certificate."""
    primary, secondary, schedule = certificates
    polled = all(can_poll(decided, domain) for domain in decided["domains"])
    if secondary is not None and not polled and decided["now"] < parse_iso(schedule["promotion_date"]):
        parts["waits"].append(Wait(id="adfs-promotion", until=schedule["promotion_date"],
                                   reason=f"AD FS promotes {secondary['thumbprint']} then, and Entra cannot poll to follow",
                                   then=f"make {secondary['thumbprint']} signingCertificate of the domains Entra cannot update itself"))
    if secondary is None and decided["now"] < parse_iso(schedule["generation_date"]):
        parts["waits"].append(Wait(id="adfs-generation", until=schedule["generation_date"],
                                   reason=f"AD FS generates the next token-signing certificate {decided['farm']['properties']['generation']} days "
                                          f"before {primary['thumbprint']} expires",
                                   then="check that every domain holds it well before promotion, and push it where Entra cannot poll"))


def auto_notes(parts: dict, decided: dict, certificates: tuple) -> None:
    """The schedule in the summary; the relying parties configured by hand, with the certificate they need before promotion."""
    primary, secondary, schedule = certificates
    manual = manual_relying_parties(decided["farm"]["state"], decided["params"].get("metadata_consumers") or [])
    if secondary is not None and manual:
        parts["warnings"].append(f"relying parties configured by hand (no metadata monitoring) need {secondary['thumbprint']} before AD FS "
                                 f"promotes it on {schedule['promotion_date']}: {', '.join(party['name'] for party in manual)}")
    parts["summary"].append(f"auto-rollover schedule of {primary['thumbprint']} (expires {primary['not_after']}): generation "
                            f"{schedule['generation_date']}, promotion {schedule['promotion_date']}, critical {schedule['critical_date']}"
                            + (f"; next certificate {secondary['thumbprint']} generated {secondary['not_before']}" if secondary else ""))


def plan_auto(decided: dict) -> dict:
    parts, state = new_parts(), decided["farm"]["state"]
    primary, secondary = primary_of(state, SIGNING), newer_secondary(state, SIGNING)
    previous = next((item for item in secondaries_of(state, SIGNING) if item["not_after"] < primary["not_after"]), None)
    schedule = schedule_of(decided, primary, secondary)
    for domain in decided["domains"]:
        auto_domain(parts, decided, domain, (primary, secondary, previous, schedule))
    auto_waits(parts, decided, (primary, secondary, schedule))
    auto_notes(parts, decided, (primary, secondary, schedule))
    trusted_everywhere(parts, decided)
    parts["applied"] = "nothing until the next rollover: run again on a schedule (daily) so that a rollover Entra misses is pushed in time"
    return parts


# --- CA-issued ----------------------------------------------------------------------------------------
def retired_of(state: dict, new) -> dict:
    """The certificate a rotation retires: the primary, or after the promotion the newest other secondary."""
    primary = primary_of(state, new.kind)
    if primary and primary["thumbprint"] != new.thumbprint:
        return primary
    return next((item for item in secondaries_of(state, new.kind) if item["thumbprint"] != new.thumbprint), None)


def stage_kind(parts: dict, decided: dict, new) -> list:
    staged = [steps_.stage_step(host, new, decided["farm"]["states"][host], decided) for host in decided["farm"]["nodes"]]
    staged = [step for step in staged if step]
    parts["steps"].extend(staged)
    return [step.id for step in staged]


def add_kind(parts: dict, decided: dict, new, after: list):
    if any(item["thumbprint"] == new.thumbprint for item in certificates_of(decided["farm"]["state"], new.kind)):
        return None
    step = steps_.add_step(decided, new, after)
    parts["steps"].append(step)
    return step.id


def entra_next_steps(parts: dict, decided: dict, new, after: list) -> list:
    ids = []
    for domain in decided["domains"]:
        if not holds(domain, new.thumbprint):
            step = steps_.entra_step(decided, domain, steps_.next_change(domain, steps_.certificate_view(new), after))
            parts["steps"].append(step)
            ids.append(step.id)
        expect(parts, decided["farm"]["primary"], **{fact("entra_trusts_new_signing", domain): True})
    return ids


def relying_party_gate(parts: dict, decided: dict, new) -> bool:
    """True when promotion may go ahead: no hand-configured relying party, or the person says each has the certificate."""
    parties = manual_relying_parties(decided["farm"]["state"], decided["params"].get("metadata_consumers") or [])
    if not parties or new.kind != SIGNING:
        return True
    names = ", ".join(party["name"] for party in parties)
    parts["summary"].append(f"relying parties configured by hand (no metadata monitoring) need {new.thumbprint} before promotion: {names}")
    if decided["params"]["relying_parties_ready"]:
        return True
    values = {party["name"]: ", ".join(party["identifiers"]) for party in parties}
    values.update({"certificate thumbprint": new.thumbprint, "certificate (base64 DER)": new.base64_der})
    parts["gates"].append(ManualGate(
        id="relying-parties", title="Give the new token-signing certificate to the relying parties that do not read the federation metadata",
        instructions=f"Add the certificate below to each relying party's trust (as an additional signing certificate where it can hold "
                     f"two), then run again with {VAR}relying_parties_ready=true (or name those that read the metadata in "
                     f"{VAR}metadata_consumers).", values=values))
    return False


def activate_kind(parts: dict, decided: dict, new, after: list) -> str:
    primary = primary_of(decided["farm"]["state"], new.kind)
    if primary and primary["thumbprint"] == new.thumbprint:
        return ""
    step = steps_.promote_step(decided, new, primary["thumbprint"] if primary else "", after)
    parts["steps"].append(step)
    return step.id


def entra_signing_steps(parts: dict, decided: dict, new, retired, after: list) -> list:
    planned = []
    for domain in decided["domains"]:
        if domain["federation"]["signing"] != new.thumbprint:
            change = steps_.signing_change(steps_.certificate_view(new), steps_.certificate_view(retired) if retired else None, after)
            parts["steps"].append(steps_.entra_step(decided, domain, change))
            planned.append(domain["id"])
        expect(parts, decided["farm"]["primary"], **{fact("entra_signing", domain): new.thumbprint})
    return planned


def ca_cleanup(parts: dict, decided: dict, new, retired, switched: list) -> None:
    """Irreversible: Entra stops trusting the retired token-signing certificate, then AD FS removes it."""
    clears = []
    for domain in decided["domains"] if new.kind == SIGNING else []:
        if domain["id"] in switched or domain["federation"]["next"] == retired["thumbprint"]:
            step = steps_.entra_step(decided, domain, steps_.clear_next_change(domain, new.thumbprint, retired["thumbprint"]))
            parts["cleanup"].append(step)
            clears.append(step.id)
    parts["cleanup"].append(steps_.remove_step(decided, new.kind, retired["thumbprint"], clears))


def expect_nodes(parts: dict, decided: dict, new) -> None:
    for host in decided["farm"]["nodes"]:
        expect(parts, host, **{f"{KINDS[new.kind]}_key_usable": True})


def ca_kind(parts: dict, decided: dict, new, prepare: list) -> None:
    """Stage, add, (Entra next), promote, (Entra signing), cleanup for one certificate type."""
    retired = retired_of(decided["farm"]["state"], new)
    staged = stage_kind(parts, decided, new)
    added = add_kind(parts, decided, new, prepare + staged)
    nexts = entra_next_steps(parts, decided, new, [added] if added else []) if new.kind == SIGNING else []
    expect_nodes(parts, decided, new)
    if decided["params"]["stop_after"] != "activate" or not relying_party_gate(parts, decided, new):
        return
    promoted = activate_kind(parts, decided, new, prepare + staged + ([added] if added else []) + nexts)
    switched = entra_signing_steps(parts, decided, new, retired, [promoted] if promoted else []) if new.kind == SIGNING else []
    expect(parts, decided["farm"]["primary"], **{f"{KINDS[new.kind]}_primary": new.thumbprint})
    if retired:
        ca_cleanup(parts, decided, new, retired, switched)


def plan_ca(decided: dict) -> dict:
    parts = new_parts()
    prepare = []
    if decided["farm"]["properties"]["auto_rollover"]:
        parts["steps"].append(steps_.auto_rollover_off_step(decided))
        prepare = ["auto-rollover-off"]
    for kind in (SIGNING, DECRYPTING):
        if decided["new"][kind] is not None:
            ca_kind(parts, decided, decided["new"][kind], prepare)
    trusted_everywhere(parts, decided)
    parts["applied"] = (f"once relying parties and sign-ins work with the new certificate, run again with {VAR}cleanup=true to retire the old "
                        "one (irreversible)") if parts["cleanup"] else "nothing: the rotation is complete"
    return parts


# --- emergency ------------------------------------------------------------------------------------------
def emergency_steps(parts: dict, decided: dict, compromised: str) -> None:
    """-Urgent while the compromised certificate still signs; else only what Entra lacks (a re-run after -Urgent)."""
    state = decided["farm"]["state"]
    primary = primary_of(state, SIGNING)
    # The second new certificate expires with the first (both made at once): the newest secondary, not a "newer" one.
    secondary = next((item for item in secondaries_of(state, SIGNING) if item["thumbprint"] != compromised), None)
    if primary["thumbprint"] == compromised:
        urgent = steps_.update_step(decided, True, [])
        second = steps_.update_step(decided, False, [urgent.id])
        parts["steps"] += [urgent, second] + [steps_.entra_step(decided, domain, emergency_change(second.id)) for domain in decided["domains"]]
        parts["warnings"].append("emergency rotation: federated sign-ins fail between Update-AdfsCertificate -Urgent and the Entra update that "
                                 "follows it in this run; the compromised certificate is no longer trusted afterwards")
        return
    for domain in decided["domains"]:
        if holds(domain, compromised) or not holds(domain, primary["thumbprint"]) or (secondary and not holds(domain, secondary["thumbprint"])):
            parts["steps"].append(steps_.entra_step(decided, domain, steps_.signing_change(primary, secondary, [], "entra-emergency", "emergency")))


def plan_emergency(decided: dict) -> dict:
    """Two new certificates, then every domain trusts exactly them; a re-run after -Urgent only repairs Entra."""
    parts, compromised = new_parts(), decided["options"]["compromised"]
    emergency_steps(parts, decided, compromised)
    for domain in decided["domains"]:
        expect(parts, decided["farm"]["primary"], **{fact("entra_trusts_compromised", domain): False})
    trusted_everywhere(parts, decided)
    parts["summary"].append(f"emergency: the compromised token-signing certificate {compromised} is replaced by two new ones and no domain "
                            "trusts it afterwards")
    parts["applied"] = ("replace the farm's TLS certificate on AD FS and WAP if the compromise may reach them, and revoke users' refresh tokens "
                        "(Entra docs, emergency rotation)")
    return parts


def emergency_change(source: str) -> dict:
    """signing = the new primary, next = the new secondary, both taken from the answer of step ``source`` at apply time."""
    return {"id": "entra-emergency", "phase": "emergency", "action": "trust only the two new certificates in Entra",
            "detail": "PATCH signingCertificate = the new primary, nextSigningCertificate = the new secondary (read from the answer of "
                      f"step {source})", "body": {"from_step": source}, "expect": {"from_step": source}, "after": [source]}


PLANNERS = {"auto": plan_auto, "ca": plan_ca, "emergency": plan_emergency}
