#!/usr/bin/env bash
# Print the path of a headless-capable Chromium, installing Debian's chromium
# (and CJK fonts, so Chinese labels render) when missing. Used by the browser test.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "cjk"; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "chromium or CJK fonts missing and not root: apt-get install chromium fonts-noto-cjk" >&2
    exit 3
  fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >&2
fi
command -v chromium
