# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS farms and the Entra tenant together: topology hook, serialisation, clock, probe, invariants.

The trust edge (reference/products.md §0): every federated domain of the tenant names the AD FS
farm that federates it; each token that farm signs with its primary token-signing certificate
must verify with the domain's signingCertificate or nextSigningCertificate. The invariants check
that at every instant the lab reaches (after each mutating call, Graph write and clock step), and
that a CA-issued primary certificate can be used on every node of its farm.

``clock_moved(estate, before, after, checkpoint)`` is what the lab runs when its clock moves:
the events in between (each farm's rollover service every CertificateRolloverInterval, Entra's
daily poll of every federated domain) happen in time order, each followed by ``checkpoint`` so
that a violation is recorded at the instant it starts.
"""
from __future__ import annotations

import datetime
import uuid

from cryptography.hazmat.primitives import serialization

from certops_lab.invariants import invariant
from certops_lab.products import entra
from certops_lab.products.adfs import DECRYPTING, SIGNING, AdfsFarm, farm_from_entry
from certops_lab.state import product_codec

TOPOLOGY_SECTIONS = ("adfs", "entra")
EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
ONE_DAY = datetime.timedelta(days=1)


def adfs_farms(estate) -> dict:
    return estate.products.setdefault("adfs", {})


def tenant(estate):
    return estate.products.get("entra")


def farm_of_host(estate, host: str):
    return next((farm for farm in adfs_farms(estate).values() if host in farm.hosts), None)


# --- topology ---------------------------------------------------------------------------------------
def from_topology(products: dict, estate) -> dict:
    farms = {}
    for entry in (products or {}).get("adfs") or []:
        farm = farm_from_entry(entry, estate)
        if farm.name in farms:
            raise ValueError(f"products.adfs: farm name {farm.name!r} is used twice")
        farms[farm.name] = farm
    estate.products["adfs"] = farms
    if (products or {}).get("entra") is not None:
        estate.products["entra"] = tenant_from_entry(products["entra"] or {}, farms)
    return {key: estate.products[key] for key in TOPOLOGY_SECTIONS if key in estate.products}


def tenant_from_entry(entry: dict, farms: dict) -> entra.Tenant:
    made = entra.Tenant(tenant_id=str(entry.get("tenant_id") or entra.DEFAULT_TENANT), users=users_from_entry(entry))
    initial = str(entry.get("initial_domain") or "lab.onmicrosoft.com").lower()
    made.domains[initial] = entra.Domain(initial, is_default=not entry.get("domains"))
    for item in entry.get("domains") or []:
        domain = domain_from_entry(item, farms)
        made.domains[domain.id.lower()] = domain
    for item in entry.get("apps") or []:
        app = entra.App(client_id=str(item["client_id"]).lower(), display_name=str(item.get("display_name") or "certops"),
                        roles=[str(role) for role in item.get("roles") or []])
        made.apps[app.client_id] = app
    for item in entry.get("applications") or []:
        made.applications[str(item["id"])] = {"id": str(item["id"]), "appId": str(item.get("app_id") or uuid.uuid4()),
                                              "displayName": str(item.get("display_name") or ""), "keyCredentials": []}
    return made


def users_from_entry(entry: dict) -> list:
    return [{"upn": str(user["upn"]), "global_admin": bool(user.get("global_admin")), "synced": bool(user.get("synced"))}
            for user in entry.get("users") or [{"upn": "admin@lab.onmicrosoft.com", "global_admin": True}]]


def domain_from_entry(item: dict, farms: dict) -> entra.Domain:
    if not item.get("id"):
        raise ValueError("products.entra.domains: every domain needs an id")
    if not item.get("federated_by"):
        return entra.Domain(str(item["id"]))
    farm = farms.get(item["federated_by"])
    if farm is None:
        raise ValueError(f"products.entra.domains {item['id']!r}: federated_by {item['federated_by']!r} is not a products.adfs farm")
    federation = entra.Federation(id=str(uuid.uuid5(uuid.NAMESPACE_DNS, item["id"])), issuer_uri=str(item.get("issuer_uri") or farm.identifier),
                                  host_name=farm.host_name, display_name=farm.name)
    held = {"primary": farm.primary_of(SIGNING), "secondary": farm.newest_secondary(SIGNING)}
    wanted = [held[name] for name in item.get("holds", ["primary"]) if held.get(name) is not None]
    federation.signing_certificate = entra.b64(wanted[0].der) if wanted else None
    federation.next_signing_certificate = entra.b64(wanted[1].der) if len(wanted) > 1 else None
    federation.update_result = item.get("update_result")
    return entra.Domain(str(item["id"]), authentication_type="Federated", farm=farm.name, federation=federation)


# --- JSON -------------------------------------------------------------------------------------------
def to_dict(products: dict) -> dict:
    data = {"adfs": {name: farm.to_dict() for name, farm in products.get("adfs", {}).items()}}
    if products.get("entra") is not None:
        data["entra"] = products["entra"].to_dict()
    return data


def from_dict(data: dict) -> dict:
    decoded = {"adfs": {name: AdfsFarm.from_dict(item) for name, item in data.get("adfs", {}).items()}}
    if data.get("entra") is not None:
        decoded["entra"] = entra.Tenant.from_dict(data["entra"])
    return decoded


product_codec(TOPOLOGY_SECTIONS, to_dict, from_dict)


# --- signing, probe ---------------------------------------------------------------------------------
def signing_key(estate, farm: AdfsFarm, host: str):
    """The key ``host`` signs tokens with: DKM for generated certificates, else its LocalMachine\\My entry if the service account reads it."""
    primary = farm.primary_of(SIGNING)
    if primary.generated:
        return serialization.load_pem_private_key(primary.private_key.encode("ascii"), password=None)
    entry = estate.hosts[host].store("LocalMachine", "My").get(primary.thumbprint)
    if entry is None or not entry.key_readable_by(farm.service_account):
        return None
    return serialization.load_pem_private_key(entry.private_key.encode("ascii"), password=None)


def signin_probe(estate, domain_id: str) -> dict:
    """A sign-in to a federated domain through its farm's primary node."""
    domain = tenant(estate).domain(domain_id) if tenant(estate) else None
    if domain is None or domain.federation is None:
        raise KeyError(f"no federated domain {domain_id!r}: use one of {', '.join(d.id for d in tenant(estate).federated()) or 'none'}")
    farm = adfs_farms(estate)[domain.farm]
    key = signing_key(estate, farm, farm.primary)
    if key is None:
        return {"domain": domain.id, "accepted": False, "error": f"AD FS on {farm.primary} cannot open the key of its primary token-signing "
                                                                 "certificate"}
    return entra.signin(domain, key, farm.primary_of(SIGNING).der)


# --- invariants -------------------------------------------------------------------------------------
@invariant("entra_trusts_adfs_primary_signing_certificate")
def failing_signins(estate) -> list:
    """Every federated domain holds its farm's primary token-signing certificate as signing or next certificate."""
    if tenant(estate) is None:
        return []
    messages = []
    for domain in tenant(estate).federated():
        farm = adfs_farms(estate).get(domain.farm)
        primary = farm.primary_of(SIGNING) if farm else None
        held = {entra.thumbprint_of_text(domain.federation.signing_certificate), entra.thumbprint_of_text(domain.federation.next_signing_certificate)}
        if primary is not None and primary.thumbprint not in held:
            messages.append(f"Entra domain {domain.id} holds {', '.join(sorted(filter(None, held))) or 'no certificate'} but AD FS farm "
                            f"{farm.name} signs with {primary.thumbprint}: federated sign-ins fail")
    return messages


@invariant("adfs_primary_certificates_usable_on_every_node")
def unusable_primaries(estate) -> list:
    """A CA-issued primary certificate is on every node with its key readable by the AD FS service account."""
    messages = []
    for farm in adfs_farms(estate).values():
        for kind in (SIGNING, DECRYPTING):
            primary = farm.primary_of(kind)
            if primary is None or primary.generated:
                continue
            for host in farm.hosts:
                entry = estate.hosts[host].store("LocalMachine", "My").get(primary.thumbprint)
                if entry is None or not entry.key_readable_by(farm.service_account):
                    messages.append(f"AD FS farm {farm.name}: {host} cannot use the primary {kind} certificate {primary.thumbprint} "
                                    f"(missing from LocalMachine\\My or its key unreadable by {farm.service_account})")
    return messages


# --- the clock ---------------------------------------------------------------------------------------
def ticks_every(step: datetime.timedelta, before: datetime.datetime, after: datetime.datetime) -> list:
    """The instants in (before, after] that are whole multiples of ``step`` since EPOCH (a timer's schedule)."""
    first, ticks = EPOCH + ((before - EPOCH) // step + 1) * step, []
    while first <= after:
        ticks.append(first)
        first += step
    return ticks


def rollover_ticks(farm: AdfsFarm, before: datetime.datetime, after: datetime.datetime) -> list:
    """When the farm's rollover service runs: every CertificateRolloverInterval minutes."""
    return ticks_every(datetime.timedelta(minutes=max(1, int(farm.properties["CertificateRolloverInterval"]))), before, after)


def clock_events(estate, before: datetime.datetime, after: datetime.datetime) -> list:
    """(instant, order, action) for every timer event between the two instants, in time order (AD FS before Entra at one instant)."""
    events = [(tick, 0, farm.name) for farm in adfs_farms(estate).values() for tick in rollover_ticks(farm, before, after)]
    if tenant(estate) is not None:
        events += [(day, 1, "entra") for day in ticks_every(ONE_DAY, before, after)]
    return sorted(events)


def run_event(estate, when: datetime.datetime, name: str) -> list:
    if name != "entra":
        return adfs_farms(estate)[name].rollover_tick(when)
    done = []
    for domain in tenant(estate).federated():
        if entra.polls_at(domain.federation, when):
            done.append(f"Entra polled {domain.id}: {entra.poll(domain.federation, adfs_farms(estate)[domain.farm], when)}")
    return done


def clock_moved(estate, before: datetime.datetime, after: datetime.datetime, checkpoint) -> list:
    """Run every timer event between ``before`` and ``after``; ``checkpoint(label)`` after each one that changed something."""
    done = []
    for when, _order, name in clock_events(estate, before, after):
        estate.clock = when
        changes = run_event(estate, when, name)
        if changes:
            checkpoint(f"{name}@{when.isoformat()}")
            done += changes
    return done
