#!/usr/bin/env bash
# Print the path of Graphviz's `dot`, installing Debian's graphviz when missing.
# Used by the diagram tests (campaign.diagram(format="svg") renders through dot).
set -euo pipefail
if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "dot missing and not root: apt-get install graphviz" >&2
    exit 3
  fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz) >&2
fi
command -v dot
