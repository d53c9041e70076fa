#!/usr/bin/env bash
# Installs what Stratus needs and is missing: Debian packages first (as root), then the npm
# dependencies. Quiet and quick when everything is there; runs before start, test and bench.
set -euo pipefail
# STRATUS_DEBIAN_PACKAGES_FILE replaces bin/debian-packages.txt (a path relative to the caller's directory).
override=${STRATUS_DEBIAN_PACKAGES_FILE:+$(realpath -m -- "$STRATUS_DEBIAN_PACKAGES_FILE")}
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# `--test` adds what only the tests and benchmarks need (the real OpenStack clients).
lists=("${override:-bin/debian-packages.txt}")
[[ "${1:-}" == "--test" ]] && lists+=(bin/debian-packages-test.txt)
missing=()
for list in "${lists[@]}"; do
  [[ -r "$list" ]] || { echo "setup: package list $list not found" >&2; exit 1; }
  while read -r pkg || [[ -n "$pkg" ]]; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done < "$list"
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Stratus needs Debian packages that are missing. Run as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2; }
  if ! apt_install; then
    echo "setup: install failed; updating the package lists and trying once more" >&2
    apt-get -o DPkg::Lock::Timeout=600 update >&2 || true
    apt_install || { echo "setup: could not install ${missing[*]}" >&2; exit 1; }
  fi
fi

stamp=node_modules/.stratus-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
  echo "$want" > "$stamp"
fi
