#!/usr/bin/env bash
# Builds the RPM with rpmbuild -bb. Meant for the target distribution (Fedora, EL with EPEL); CI
# runs it on Debian with Debian's rpm package to prove the spec, where the build dependencies are
# Debian packages (so rpmbuild's own dependency check is skipped with --nodeps) and the result
# links Debian's libraries: never install such an RPM on Fedora or EL.
# Prints the path of the binary .rpm on the last line; KEEP_RPM_TOP=1 keeps the rpmbuild tree
# (and its build.log) for a look after the build.
#   packaging/build-rpm.sh [OUTPUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/rpm}
version=$(sed -n 's/^Version: *//p' "$root/packaging/rpm/tls-checks.spec")
top=$(mktemp -d)
trap '[ -n "${KEEP_RPM_TOP:-}" ] || rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS} "$top/tls-checks-$version" "$out"
if git -C "$root" rev-parse >/dev/null 2>&1; then
    git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$top/tls-checks-$version")
else
    (cd "$root" && find . -path ./build -prune -o -type f -print0 | xargs -0 cp --parents -t "$top/tls-checks-$version")
fi
tar -C "$top" -czf "$top/SOURCES/tls-checks-$version.tar.gz" "tls-checks-$version"
cp "$root/packaging/rpm/tls-checks.spec" "$top/SPECS/"
# Fedora and EL have %cmake and friends (cmake-rpm-macros); Debian's rpm does not: load the
# project's stand-in with the same interface there.
# There the build dependencies are Debian packages, which rpm cannot see: skip its check.
stand_in=()
if [ "$(rpm --eval '%cmake')" = "%cmake" ]; then
    stand_in=(--nodeps --load "$root/packaging/rpm/macros.cmake-fallback")
fi
rpmbuild -bb "${stand_in[@]}" --define "_topdir $top" --define "packager tls-checks developers <tls-checks@example.org>" "$top/SPECS/tls-checks.spec" >"$top/build.log" 2>&1 || { tail -40 "$top/build.log"; exit 1; }
find "$top/RPMS" -name 'tls-checks-*.rpm' ! -name '*debug*' -exec cp {} "$out"/ \;
rpm=$(ls "$out"/tls-checks-"$version"-*.rpm | tail -n 1)
# rpmlint (with the Debian package's checks) must find no error in what we ship.
if command -v rpmlint >/dev/null; then
    rpmlint -c "$root/packaging/rpm/rpmlint.toml" -r "$root/packaging/rpm/tls-checks.rpmlintrc" "$rpm" >"$top/rpmlint.log" 2>&1 || { cat "$top/rpmlint.log"; exit 1; }
    cat "$top/rpmlint.log" >&2
fi
echo "$rpm"
