#!/usr/bin/env bash
# Installs promtool (Debian/Ubuntu package prometheus) for the alert rules test
# (jobs/src/test/java/io/flinkvision/jobs/deploy/AlertRulesTest.java). Without it that test is reported as skipped,
# with the reason. Idempotent: does nothing when promtool is already installed.
#   usage: .ci/install-promtool.sh        (as root, or with sudo available)
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have promtool; then
  echo "install-promtool: already installed: $(promtool --version 2>&1 | head -1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if have sudo; then SUDO="sudo"; else echo "install-promtool: need root or sudo" >&2; exit 1; fi
fi
if ! have apt-get; then
  echo "install-promtool: no apt-get here; install promtool yourself or set FLINKVISION_PROMTOOL" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends prometheus
echo "install-promtool: $(promtool --version 2>&1 | head -1)"
