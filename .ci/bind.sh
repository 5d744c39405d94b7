#!/usr/bin/env bash
# Makes sure BIND 9 (`named`, plus `nsupdate`/`dig` for debugging) is installed
# from Debian's packages. The dns-registrar int tests start their own `named`
# on 127.0.0.1 at a free port (libs/dns-registrar/src/testing/bind.ts); this
# script only installs, it never starts the system service.
set -euo pipefail

find_named() { command -v named || { [ -x /usr/sbin/named ] && echo /usr/sbin/named; } || true; }

if [ -n "$(find_named)" ]; then
  echo "BIND is installed: $("$(find_named)" -v)"
  exit 0
fi

echo "BIND 9 is not installed; installing bind9 and bind9-dnsutils from Debian's packages"
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null || { echo "bind.sh: not root and no sudo: cannot install bind9" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update || { echo "bind.sh: apt-get update failed" >&2; exit 1; }
# --no-install-recommends: the daemon and the tools are enough; policy-rc.d keeps
# the package from starting the system service inside containers.
$SUDO apt-get install -y --no-install-recommends bind9 bind9-dnsutils || { echo "bind.sh: apt-get install bind9 bind9-dnsutils failed" >&2; exit 1; }

NAMED="$(find_named)"
[ -n "$NAMED" ] || { echo "bind.sh: bind9 installed but 'named' is not on PATH or in /usr/sbin" >&2; exit 1; }
echo "BIND is installed: $("$NAMED" -v)"
