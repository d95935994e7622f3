# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What OWA, ECP and Test-OAuthConnectivity answer on an Exchange server of the lab, and the organisation's invariants.

A server signs OAuth tokens with the current Auth certificate, so OWA and ECP (which call EWS and
other servers with OAuth after the sign-in) fail on a server that lacks the certificate with its
private key, or when it has expired, with the symptom of the seeds: "Something went wrong",
``X-OWA-Error: Microsoft.Exchange.Security.OAuth.OAuthTokenRequestFailedException``. Exchange
Online accepts the organisation's tokens only when the hybrid application holds the current
certificate's key (a hook the Graph side of the lab fills in: ``register_exchange_online_check``).

Invariants, each tolerating only the damage the scenario started with (see exchange.py):
every server holds the current Auth certificate, and the next one while it is staged; the current
Auth certificate is never expired; no server loses its SMTP default certificate or gets another.
"""
from __future__ import annotations

from certops_lab.invariants import invariant
from certops_lab.products.exchange import holds_key, organisation

OWA_ERROR = "Microsoft.Exchange.Security.OAuth.OAuthTokenRequestFailedException"
_EXCHANGE_ONLINE_CHECKS: list = []


def register_exchange_online_check(check) -> None:
    """``check(estate, thumbprint) -> str``: "" when Exchange Online accepts tokens signed with that certificate,
    else why not. Registered by the lab's Graph model (the hybrid application's key credentials)."""
    _EXCHANGE_ONLINE_CHECKS.append(check)


def _entry(estate, host: str, thumbprint: str):
    return estate.hosts[host].store("LocalMachine", "My").get(thumbprint) if thumbprint else None


def certificate_entry(estate, thumbprint: str):
    """The certificate from any host's LocalMachine\\My (its DER is the same everywhere)."""
    for name in estate.hosts:
        entry = _entry(estate, name, thumbprint)
        if entry is not None:
            return entry
    return None


def signing_problem(estate, server, now) -> str:
    """Why ``server`` cannot sign OAuth tokens now ("" when it can)."""
    current = organisation(estate).auth_view(estate, now).current
    entry = _entry(estate, server.host, current)
    if entry is None or not entry.has_private_key:
        return f"the current Auth certificate {current or '(none)'} is not on {server.name} with its private key"
    if entry.certificate.not_valid_after_utc <= now:
        return f"the current Auth certificate {current} expired on {entry.certificate.not_valid_after_utc:%Y-%m-%d}"
    return ""


def owa_status(estate, server, now) -> int:
    return 500 if signing_problem(estate, server, now) else 200


def oauth_result(estate, server, now, exchange_online: bool) -> dict:
    """Test-OAuthConnectivity's ResultType and Detail (EWS on the server itself, or Exchange Online)."""
    problem = signing_problem(estate, server, now)
    if not problem and exchange_online:
        current = organisation(estate).auth_view(estate, now).current
        problem = next((text for text in (check(estate, current) for check in _EXCHANGE_ONLINE_CHECKS) if text), "")
        if not _EXCHANGE_ONLINE_CHECKS:
            problem = "Exchange Online is not reachable from this lab (no hybrid application is modelled)"
    return {"ResultType": "Error" if problem else "Success", "Detail": f"{OWA_ERROR}: {problem}" if problem else ""}


# --- invariants ---------------------------------------------------------------------------------------
def _servers(estate):
    org = organisation(estate)
    return [server for server in org.mailbox_servers() if server.host] if org else []


def _tolerated(org, kind: str, server, thumbprint: str) -> bool:
    return thumbprint == org.damage.get(f"{kind}_thumbprint") and server.name in org.damage.get(f"{kind}_missing", [])


def _missing(estate, kind: str, thumbprint: str) -> list:
    org = organisation(estate)
    return [server.name for server in _servers(estate)
            if not holds_key(estate, server.host, thumbprint) and not _tolerated(org, kind, server, thumbprint)]


@invariant("exchange_current_auth_certificate_on_every_server")
def current_missing(estate) -> list:
    if not _servers(estate):
        return []
    current = organisation(estate).auth_view(estate, estate.clock).current
    return [f"{name} lacks the current Auth certificate {current}: OWA, ECP and EWS fail there with {OWA_ERROR}"
            for name in _missing(estate, "current", current)]


@invariant("exchange_next_auth_certificate_on_every_server")
def next_missing(estate) -> list:
    view = organisation(estate).auth_view(estate, estate.clock) if _servers(estate) else None
    if view is None or not view.next:
        return []
    return [f"{name} lacks the next Auth certificate {view.next}, staged for {view.next_effective}: it would fail OAuth once it is "
            "published" for name in _missing(estate, "next", view.next)]


@invariant("exchange_auth_certificate_not_expired")
def expired_current(estate) -> list:
    org = organisation(estate)
    if org is None:
        return []
    current = org.auth_view(estate, estate.clock).current
    entry = certificate_entry(estate, current)
    if entry is None or current == org.damage.get("expired_current"):
        return [] if entry is not None else [f"the current Auth certificate {current or '(none)'} is on no server"]
    expiry = entry.certificate.not_valid_after_utc
    return [f"the current Auth certificate {current} expired on {expiry:%Y-%m-%d %H:%M}Z"] if expiry <= estate.clock else []


@invariant("exchange_transport_certificate_kept")
def transport_changed(estate) -> list:
    messages = []
    for server in _servers(estate):
        if server.transport_certificate != server.initial_transport:
            messages.append(f"{server.name}'s SMTP default certificate changed from {server.initial_transport} to "
                            f"{server.transport_certificate} (New-ExchangeCertificate replaced it)")
        elif server.initial_transport and not holds_key(estate, server.host, server.initial_transport):
            messages.append(f"{server.name} lost its SMTP default certificate {server.initial_transport}")
    return messages
