#!/usr/bin/env bash
# Tools the test suite uses beyond Node: xmllint (validates JUnit against the committed XSD) and
# Debian's Chromium (the HTML report's browser test, driven by playwright-core). Installed from
# Debian's packages only when missing; playwright-core never downloads a browser of its own.
set -euo pipefail

missing=()
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Chromium renders text with whatever fonts exist; a font keeps screenshots legible.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)

if [ ${#missing[@]} -gt 0 ]; then
  echo "test tools: installing ${missing[*]} (Debian packages)"
  for attempt in 1 2 3; do
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      break
    fi
    # Another apt run may hold the lock: wait and try again.
    [ "$attempt" = 3 ] && exit 1
    sleep 10
  done
fi
echo "test tools: xmllint $(xmllint --version 2>&1 | head -n 1 | awk '{print $NF}'), $(chromium --version 2>/dev/null | head -n 1)"
