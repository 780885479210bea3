#!/usr/bin/env bash
# Builds the RPM with rpmbuild -bb (works on Debian with its rpm package; build dependencies are
# Debian packages there, so rpmbuild's own dependency check is skipped with --nodeps).
# Prints the path of the binary .rpm on the last line.
#   packaging/build-rpm.sh [OUTPUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/rpm}
version=$(sed -n 's/^Version: *//p' "$root/packaging/rpm/tls-checks.spec")
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS} "$top/tls-checks-$version" "$out"
if git -C "$root" rev-parse >/dev/null 2>&1; then
    git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$top/tls-checks-$version")
else
    (cd "$root" && find . -path ./build -prune -o -type f -print0 | xargs -0 cp --parents -t "$top/tls-checks-$version")
fi
tar -C "$top" -czf "$top/SOURCES/tls-checks-$version.tar.gz" "tls-checks-$version"
cp "$root/packaging/rpm/tls-checks.spec" "$top/SPECS/"
rpmbuild -bb --nodeps --define "_topdir $top" "$top/SPECS/tls-checks.spec" >"$top/build.log" 2>&1 || { tail -40 "$top/build.log"; exit 1; }
find "$top/RPMS" -name 'tls-checks-*.rpm' ! -name '*debug*' -exec cp {} "$out"/ \;
ls "$out"/tls-checks-"$version"-*.rpm | tail -n 1
