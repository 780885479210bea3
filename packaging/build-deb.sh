#!/usr/bin/env bash
# Builds the Debian binary package from a copy of the tree with debian/ in place, then runs
# lintian on it. Prints the path of the .deb on the last line.
#   packaging/build-deb.sh [OUTPUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/tls-checks"
# The tracked files (or, outside git, everything but build trees).
if git -C "$root" rev-parse >/dev/null 2>&1; then
    git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$work/tls-checks")
else
    (cd "$root" && find . -path ./build -prune -o -type f -print0 | xargs -0 cp --parents -t "$work/tls-checks")
fi
cp -r "$root/packaging/debian" "$work/tls-checks/debian"
(cd "$work/tls-checks" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || { tail -40 "$work/build.log"; exit 1; }
cp "$work"/*.deb "$out"/
deb=$(ls "$out"/monitoring-plugins-tls-checks_*.deb | tail -n 1)
lintian --fail-on error,warning --tag-display-limit 0 "$deb"
echo "$deb"
