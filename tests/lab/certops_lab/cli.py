# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m certops_lab``: start, drive and stop a lab estate (see tests/lab/README.md).

``up`` starts ``serve`` as a detached background process and returns once the lab answers on its
control channel; every other command talks to that process (control.py).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

from certops_lab import control
from certops_lab.clock import ClockError
from certops_lab.contracts import FAULT_KINDS
from certops_lab.faults import FaultError
from certops_lab.graph.faults import GRAPH_FAULT_KINDS, GraphFaultError
from certops_lab.issuing import issue_pfx
from certops_lab.rehearsal import write_twin_variables
from certops_lab.topology import TopologyError, load_topology

PID_FILE = "pid"
LOG_FILE = "lab.log"
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USER_ERRORS = (TopologyError, control.ControlError, ClockError, FaultError, GraphFaultError, KeyError, OSError, ValueError)


# --- up / serve / down ------------------------------------------------------------------------
def _running(state_dir: str) -> bool:
    try:
        return control.call(state_dir, "ping", timeout=5) == "pong"
    except control.ControlError:
        return False


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
    return env


def _wait_until_up(child: subprocess.Popen, state_dir: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise control.ControlError(f"the lab exited with code {child.returncode}:\n{_log_tail(state_dir)}")
        if os.path.exists(os.path.join(state_dir, control.CONTROL_FILE)) and _running(state_dir):
            return
        time.sleep(0.1)
    child.terminate()
    raise control.ControlError(f"the lab did not come up within {timeout:.0f}s:\n{_log_tail(state_dir)}")


def _log_tail(state_dir: str) -> str:
    try:
        with open(os.path.join(state_dir, LOG_FILE), encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-20:])
    except OSError:
        return "(no log)"


def command_up(args) -> int:
    load_topology(args.topology)          # a broken topology fails here, in the foreground
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    if _running(state_dir):
        raise control.ControlError(f"a lab is already running with state dir {state_dir}: run `down --state-dir {state_dir}` first")
    with open(os.path.join(state_dir, LOG_FILE), "ab") as log:
        child = subprocess.Popen([sys.executable, "-m", "certops_lab", "serve", os.path.abspath(args.topology),  # pylint: disable=consider-using-with
                                  "--state-dir", state_dir], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 env=_child_env(), start_new_session=True, cwd=state_dir)
    _wait_until_up(child, state_dir, args.timeout)
    print(os.path.join(state_dir, "inventory.yml"))
    return 0


def command_serve(args) -> int:
    from certops_lab.lab import LabInstance  # pylint: disable=import-outside-toplevel
    stopping = threading.Event()
    lab = LabInstance(load_topology(args.topology), args.state_dir).start()
    handlers = dict(lab.operations(), down=stopping.set)
    server = control.ControlServer(handlers)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with open(os.path.join(args.state_dir, PID_FILE), "w", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()}\n")
    server.start(args.state_dir)
    try:
        stopping.wait()
    finally:
        _shutdown(lab, server, args.state_dir)
    return 0


def _shutdown(lab, server, state_dir: str) -> None:
    lab.stop()
    for name in (control.CONTROL_FILE, PID_FILE):
        if os.path.exists(os.path.join(state_dir, name)):
            os.unlink(os.path.join(state_dir, name))
    time.sleep(0.2)          # let the reply to `down` leave before the control server goes
    server.stop()


def command_down(args) -> int:
    state_dir = os.path.abspath(args.state_dir)
    pid = control.read_control(state_dir)["pid"]
    control.call(state_dir, "down")
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        raise control.ControlError(f"the lab (pid {pid}) did not stop within {args.timeout:.0f}s")
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


# --- operations on a running lab --------------------------------------------------------------
def _show(result) -> int:
    print(result if isinstance(result, str) else json.dumps(result, indent=2, sort_keys=True))
    return 0


def command_state(args) -> int:
    return _show(control.call(args.state_dir, "state", host=args.host))


def command_clock(args) -> int:
    if args.action == "show":
        return _show(control.call(args.state_dir, "clock_show"))
    if args.value is None:
        raise ClockError(f"clock {args.action} needs a value, e.g. `clock set 2026-03-01T00:00:00Z` or `clock advance +3d`")
    op, key = ("clock_set", "value") if args.action == "set" else ("clock_advance", "offset")
    return _show(control.call(args.state_dir, op, **{key: args.value}))


def command_fault(args) -> int:
    if args.action == "list":
        return _show(control.call(args.state_dir, "fault_list"))
    if args.action == "clear":
        return _show(control.call(args.state_dir, "fault_clear", host=args.host))
    if not args.host or args.at_call is None or not args.kind:
        raise FaultError("fault add needs HOST, --at-call N and --kind, e.g. `fault add wfm01 --at-call 3 --kind drop`")
    return _show(control.call(args.state_dir, "fault_add", host=args.host, at_call=args.at_call, kind=args.kind,
                              seconds=args.seconds, message=args.message))


def command_audit(args) -> int:
    for line in control.call(args.state_dir, "audit"):
        print(line)
    return 0


def command_calls(args) -> int:
    return _show(control.call(args.state_dir, "call_counts"))


def command_violations(args) -> int:
    for record in control.call(args.state_dir, "violations"):
        print(json.dumps(record, sort_keys=True))
    return 0


def command_graph(args) -> int:
    """The loopback Entra's Graph faults and request counter."""
    if args.action == "calls":
        return _show(control.call(args.state_dir, "graph_calls"))
    if args.action in ("list", "clear"):
        return _show(control.call(args.state_dir, f"graph_fault_{args.action}"))
    if args.at_call is None or not args.kind:
        raise GraphFaultError("graph fault needs --at-call N and --kind, e.g. `graph fault --at-call 3 --kind throttle --seconds 2`")
    return _show(control.call(args.state_dir, "graph_fault_add", at_call=args.at_call, kind=args.kind, seconds=args.seconds))


def command_entra(args) -> int:
    """The tenant (secrets masked), a sign-in probe, or an app credential (its secret from the environment, never the command line)."""
    if args.action == "state":
        return _show(control.call(args.state_dir, "entra_state"))
    if args.action == "probe":
        return _show(control.call(args.state_dir, "signin_probe", domain=args.value or ""))
    certificate = open(args.value, encoding="ascii").read() if args.value else ""
    return _show(control.call(args.state_dir, "entra_add_app_credential", client_id=args.client_id or "", certificate=certificate,
                              secret=os.environ.get(args.secret_env, "") if not certificate else ""))


def command_issue(args) -> int:
    """The password comes from the environment, never the command line (visible in ps)."""
    password = os.environ.get(args.password_env, "")
    print(issue_pfx(args.state_dir, args.subject, args.pfx, password, days=args.days, dns_names=args.dns_name))
    return 0


def command_twin_vars(args) -> int:
    print(write_twin_variables(args.state_dir, args.source, args.dest))
    return 0


# --- argument parsing -------------------------------------------------------------------------
def _state_dir(parser) -> None:
    parser.add_argument("--state-dir", required=True, help="directory holding the lab's state, inventory and CA")


def _lifecycle_commands(commands) -> None:
    up = commands.add_parser("up", help="start the estate in the background")
    up.add_argument("topology")
    up.add_argument("--timeout", type=float, default=120.0)
    up.set_defaults(run=command_up)
    serve = commands.add_parser("serve", help="run the estate in the foreground (what `up` starts)")
    serve.add_argument("topology")
    serve.set_defaults(run=command_serve)
    down = commands.add_parser("down", help="save the state and stop the estate")
    down.add_argument("--timeout", type=float, default=60.0)
    down.set_defaults(run=command_down)
    for parser in (up, serve, down):
        _state_dir(parser)


def _query_commands(commands) -> None:
    state = commands.add_parser("state", help="one host's state as JSON (secrets masked)")
    state.add_argument("host")
    state.set_defaults(run=command_state)
    clock = commands.add_parser("clock", help="show, set or advance the lab clock")
    clock.add_argument("action", choices=("show", "set", "advance"))
    clock.add_argument("value", nargs="?", help="ISO 8601 time for set; offset like +3d or -12h for advance")
    clock.set_defaults(run=command_clock)
    fault = commands.add_parser("fault", help="plan, list or clear injected faults")
    fault.add_argument("action", choices=("add", "list", "clear"))
    fault.add_argument("host", nargs="?")
    fault.add_argument("--at-call", type=int, help="the host's n-th module call (1-based, counted across runs)")
    fault.add_argument("--kind", choices=FAULT_KINDS)
    fault.add_argument("--seconds", type=float, default=0.0, help="delay of a slow fault")
    fault.add_argument("--message", default="", help="error text of a cmdlet-error fault")
    fault.set_defaults(run=command_fault)
    audit = commands.add_parser("audit", help="the audit log, one JSON object per line")
    audit.set_defaults(run=command_audit)
    violations = commands.add_parser("violations", help="invariant violations, one JSON object per line")
    violations.set_defaults(run=command_violations)
    calls = commands.add_parser("calls", help="module calls counted per host so far (what --at-call counts)")
    calls.set_defaults(run=command_calls)
    issue = commands.add_parser("issue", help="issue a certificate from the lab CA as a PFX (works with the lab up or down)")
    issue.add_argument("--subject", required=True, help="e.g. CN=wfm.lab.test")
    issue.add_argument("--pfx", required=True, help="where to write the PFX (mode 0600)")
    issue.add_argument("--password-env", default="CERTOPS_LAB_PFX_PASSWORD", help="environment variable holding the PFX password")
    issue.add_argument("--days", type=int, default=365)
    issue.add_argument("--dns-name", action="append", default=[])
    issue.set_defaults(run=command_issue)
    twin = commands.add_parser("twin-vars", help="a rehearsal's variables: yours, with the twin's thumbprints, groups and Graph (docs/rehearsal.md)")
    twin.add_argument("source", help="your rotation variables (YAML or JSON; '' for none)")
    twin.add_argument("dest", help="where to write the rehearsal's variables (JSON, mode 0600)")
    twin.set_defaults(run=command_twin_vars)
    for parser in (state, clock, fault, audit, violations, calls, issue, twin, *_entra_commands(commands)):
        _state_dir(parser)


def _entra_commands(commands) -> tuple:
    graph = commands.add_parser("graph", help="the loopback Entra's Graph faults (fault, list, clear) and request counter (calls)")
    graph.add_argument("action", choices=("fault", "list", "clear", "calls"))
    graph.add_argument("--at-call", type=int, help="the n-th Graph request (1-based, every /v1.0 request; $batch counts once)")
    graph.add_argument("--kind", choices=GRAPH_FAULT_KINDS)
    graph.add_argument("--seconds", type=float, default=1.0, help="Retry-After of a throttle or http503 fault")
    graph.set_defaults(run=command_graph)
    entra = commands.add_parser("entra", help="the Entra tenant: state, probe DOMAIN (a sign-in), credential [PEM] --client-id ID")
    entra.add_argument("action", choices=("state", "probe", "credential"))
    entra.add_argument("value", nargs="?", help="probe: the domain; credential: a PEM certificate file (else the secret from --secret-env)")
    entra.add_argument("--client-id", help="the app registration of a credential")
    entra.add_argument("--secret-env", default="CERTOPS_LAB_GRAPH_SECRET", help="environment variable holding a client secret to register")
    entra.set_defaults(run=command_entra)
    return graph, entra


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m certops_lab", description="A simulated Windows estate over WinRM.")
    commands = parser.add_subparsers(dest="command", required=True)
    _lifecycle_commands(commands)
    _query_commands(commands)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except USER_ERRORS as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {message}", file=sys.stderr)
        return 2
