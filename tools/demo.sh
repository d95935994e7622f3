#!/usr/bin/env bash
# `make demo`: the collection's main job end to end against the built-in lab.
#   1. the certificate core on a generated set of controller-side certificate files;
#   2. a simulated Windows estate (tests/lab) reached over real WinRM: certificate inventory
#      of every host (JSON + Markdown reports);
#   3. Workflow Manager -> SharePoint outbound certificate rotation: plan (check mode), rotation,
#      verification, against one Workflow Manager host and two SharePoint servers.
# Everything lands in .build/demo/; the lab is stopped on exit, whatever happens.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
work="$repo/.build/demo"
rm -rf "$work" && mkdir -p "$work"
export PYTHONPATH="$repo/tests/lab${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False
python=$repo/.venv/bin/python
banner() { printf '\n==== %s\n' "$*"; }

banner "1/3 Certificate core: report on generated certificate files"
"$python" tools/demo_certificates.py "$work/certificates" >/dev/null
ansible-playbook -i localhost, -c local playbooks/certificate_report.yml \
  -e "@$work/certificates/demo-vars.json" -e "certificate_report_output=$work/certificate-report.json"

banner "2/3 Lab estate: inventory of every certificate over WinRM (Basic, HTTPS, NTLM)"
lab="$work/lab"
stop_lab() { "$python" -m certops_lab down --state-dir "$lab" >/dev/null 2>&1 || true; }
trap stop_lab EXIT
"$python" -m certops_lab up tests/lab/topologies/demo.yml --state-dir "$lab"
ansible-playbook -i "$lab/inventory.yml" playbooks/inventory.yml -e "certops_report_dir=$work/inventory"
cat "$work/inventory/certificates.md"

if [ -x tools/demo_rotation.sh ]; then
  banner "3/3 Workflow Manager outbound certificate rotation with SharePoint trust"
  tools/demo_rotation.sh "$work/rotation"
fi
banner "Done: reports under $work"
