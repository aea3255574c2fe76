#!/usr/bin/env bash
# Create the virtualenv and install everything the project needs, including system packages.
# Usage: scripts/bootstrap.sh PYTHON VENV EXTRAS
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
extras=${3:-dev,local,infra}

apt_updated=false
# apt_install PACKAGE WHY: install a Debian package when we are root and apt-get exists; 1 otherwise.
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing $1 ($2)"
    if [ "$apt_updated" = false ]; then apt-get update -qq || exit 1; apt_updated=true; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null || exit 1
  else
    return 1
  fi
}

# Node.js runs the CDK synth (jsii); install Debian's when it is missing and we may.
if [[ ",$extras," == *",infra,"* ]] && ! command -v node >/dev/null 2>&1; then
  apt_install nodejs "needed by the CDK synth" ||
    echo "bootstrap: Node.js is missing; install Node.js >= 18 for the CDK tests" >&2
fi

# The web console's browser test drives Debian's Chromium with Playwright (whose own browser
# download needs a network this setup does not assume).
if [[ ",$extras," == *",dev,"* ]] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium "needed by the web console's browser test" ||
    echo "bootstrap: /usr/bin/chromium is missing; install Debian's chromium for the console test" >&2
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
