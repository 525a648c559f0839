#!/usr/bin/env bash
# Ensure a Prometheus server binary is available for the activity-source integration tests.
# Prints the absolute path of the binary on stdout (last line); diagnostics go to stderr.
# Installs Debian's `prometheus` package when needed (CI runs as root on Debian bookworm).
# Never starts or enables a system service: the tests start the binary themselves.
set -euo pipefail

find_bin() {
  if [[ -n "${PLIMSOLL_PROMETHEUS_BIN:-}" && -x "${PLIMSOLL_PROMETHEUS_BIN}" ]]; then
    echo "${PLIMSOLL_PROMETHEUS_BIN}"; return 0
  fi
  command -v prometheus 2>/dev/null && return 0
  [[ -x /usr/bin/prometheus ]] && { echo /usr/bin/prometheus; return 0; }
  return 1
}

if bin="$(find_bin)"; then
  echo "$bin"; exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  echo "ci-prometheus.sh: prometheus not found and not root; install it with: sudo apt-get install -y --no-install-recommends prometheus" >&2
  exit 1
fi

echo "ci-prometheus.sh: installing Debian package 'prometheus'" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 stops the package's postinst from starting the system service.
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [[ $created_policy == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
apt-get update >&2
apt-get install -y --no-install-recommends prometheus >&2

if bin="$(find_bin)"; then
  echo "$bin"; exit 0
fi
echo "ci-prometheus.sh: prometheus still not found after install" >&2
exit 1
