#!/usr/bin/env bash
# Rehearse a rotation on a twin of your estate (docs/rehearsal.md):
#   tools/rehearse.sh TOPOLOGY [VARS]        (make rehearse TOPOLOGY=twin.yml VARS=rotation-vars.yml)
# Starts the lab from TOPOLOGY (playbooks/export_topology.yml writes one of your estate), runs PLAYBOOK (default
# playbooks/rotate.yml) against it with your variables made to reach the twin (certops-lab twin-vars): first in check
# mode (the plan), then for real, then prints the module executions per host from the lab's audit and any invariant
# violation (a moment without trust, a lost key, ...), and stops the lab. Everything is kept in REHEARSAL_DIR
# (default ./certops-rehearsal): check.log, run.log, audit.jsonl, violations.jsonl. Exit code 1 on a violation or a
# failed run. The lab comes from tests/lab of this repository, or from an installed certops-lab (the wheel).
set -euo pipefail
topology=${1:?usage: tools/rehearse.sh TOPOLOGY [VARS]}
variables=${2:-}
playbook=${PLAYBOOK:-playbooks/rotate.yml}
dir=$(realpath -m "${REHEARSAL_DIR:-certops-rehearsal}")
state="$dir/state"
here=$(cd "$(dirname "$0")/.." && pwd)

lab() {
  if PYTHONPATH="$here/tests/lab${PYTHONPATH:+:$PYTHONPATH}" python -c 'import certops_lab' 2>/dev/null; then
    PYTHONPATH="$here/tests/lab${PYTHONPATH:+:$PYTHONPATH}" python -m certops_lab "$@"
  else
    certops-lab "$@"
  fi
}

if [ -d "$state" ]; then lab down --state-dir "$state" >/dev/null 2>&1 || true; rm -rf "$state"; fi
mkdir -p "$dir"
inventory=$(lab up "$topology" --state-dir "$state")
trap 'lab down --state-dir "$state" >/dev/null' EXIT
lab twin-vars "$variables" "$dir/twin-vars.json" --state-dir "$state"

status=0
echo "== The plan (check mode): ansible-playbook $playbook --check --diff"
ansible-playbook -i "$inventory" "$playbook" --check --diff -e "@$dir/twin-vars.json" >"$dir/check.log" 2>&1 || status=1
tail -n 40 "$dir/check.log"
planned=$(lab audit --state-dir "$state" | wc -l)
if [ "$status" = 0 ]; then
  echo "== The rotation: ansible-playbook $playbook"
  ansible-playbook -i "$inventory" "$playbook" -e "@$dir/twin-vars.json" >"$dir/run.log" 2>&1 || status=1
  tail -n 40 "$dir/run.log"
fi
lab audit --state-dir "$state" >"$dir/audit.jsonl"
lab violations --state-dir "$state" >"$dir/violations.jsonl"
echo "== Module executions per host (plan / rotation), from the lab's audit ($dir/audit.jsonl)"
python - "$dir/audit.jsonl" "$planned" <<'PY'
import collections, json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
mark = int(sys.argv[2])
counts = collections.defaultdict(lambda: [0, 0])
for number, line in enumerate(lines):
    counts[json.loads(line)["host"]][number >= mark] += 1
for host, (plan, rotation) in sorted(counts.items()):
    print(f"  {host:12} {plan:3} / {rotation:3}")
PY
violations=$(grep -c . "$dir/violations.jsonl" || true)
echo "== Invariant violations: $violations"
cat "$dir/violations.jsonl"
[ "$violations" = 0 ] || status=1
echo "Rehearsal $( [ "$status" = 0 ] && echo passed || echo FAILED ): logs in $dir"
exit "$status"
