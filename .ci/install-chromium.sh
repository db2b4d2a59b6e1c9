#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver from Debian/Ubuntu packages for the dashboard's browser test
# (jobs/src/test/java/io/flinkvision/jobs/dashboard/DetectionsDashboardBrowserTest.java). Without them that test is
# reported as skipped, with the reason. Idempotent: does nothing when both are already installed.
#   usage: .ci/install-chromium.sh        (as root, or with sudo available)
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromedriver && { have chromium || have chromium-browser; }; then
  echo "install-chromium: already installed: $(chromedriver --version 2>/dev/null | head -1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if have sudo; then SUDO="sudo"; else echo "install-chromium: need root or sudo" >&2; exit 1; fi
fi
if ! have apt-get; then
  echo "install-chromium: no apt-get here; install Chromium and chromedriver yourself and set" \
       "FLINKVISION_CHROME / FLINKVISION_CHROMEDRIVER" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Debian names them chromium / chromium-driver. (Ubuntu's chromium-browser is a snap stub: use a Debian image or
# point FLINKVISION_CHROME / FLINKVISION_CHROMEDRIVER at a Chrome for Testing download instead.)
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core
echo "install-chromium: $(chromedriver --version | head -1)"
