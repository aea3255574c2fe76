#!/usr/bin/env bash
# Create the virtualenv and install everything the project needs, including system packages.
# Usage: scripts/bootstrap.sh PYTHON VENV EXTRAS
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
extras=${3:-dev,local,infra}

# Node.js runs the CDK synth (jsii); install Debian's when it is missing and we may.
if [[ ",$extras," == *",infra,"* ]] && ! command -v node >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing nodejs (needed by the CDK synth)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
  else
    echo "bootstrap: Node.js is missing; install Node.js >= 18 for the CDK tests" >&2
  fi
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating $venv"
  "$python" -m venv "$venv"
fi
if [ ! -x "$venv/bin/uv" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check uv
fi
echo "bootstrap: installing octag[$extras]"
# torch's CPU wheel lives on this machine's disk when present; uv only looks there when told.
find_links=()
[ -d /opt/wheels ] && find_links=(--find-links /opt/wheels)
"$venv/bin/uv" pip install -q --python "$venv/bin/python" "${find_links[@]}" -e ".[$extras]"
