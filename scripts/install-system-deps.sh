#!/usr/bin/env bash
# Installs the system packages the tests need from Debian: a PostgreSQL server and Chromium
# (plus a CJK font so pages and PDFs render Chinese, and poppler-utils so the statement PDF's
# text is checked). Fails loudly when it cannot.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages present: postgresql, chromium, fonts-noto-cjk, poppler-utils"
  exit 0
fi
echo "installing system packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
[ -x /usr/bin/chromium ]
