#!/usr/bin/env bash
# `npm run deb [OUT_DIR]`: builds OUT_DIR/ebb_VERSION_all.deb (default dist/deb) with dpkg-deb,
# from this tree: the code compiled afresh into /usr/lib/ebb with its production dependencies
# from node_modules, /usr/bin/ebb, the systemd units, /etc/ebb/ebb.toml, /etc/logrotate.d/ebb
# and ebb(1) generated from the settings table. Prints the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=$(realpath -m "${1:-dist/deb}")
version=$(node -p "require('./package.json').version")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
lib=$stage/usr/lib/ebb

# The code: compiled afresh into the package (dist/ may hold files of removed sources), with
# the man page generator, which runs from there and is then removed.
npx tsc -p tsconfig.build.json --outDir "$lib/dist"
install -D -m 0755 bin/ebb "$lib/bin/ebb"
node -e '
  const p = require("./package.json");
  const shipped = { name: p.name, version: p.version, description: p.description, type: p.type,
    license: p.license, engines: p.engines, bin: p.bin, dependencies: p.dependencies };
  process.stdout.write(JSON.stringify(shipped, null, 2) + "\n");' >"$lib/package.json"
# Production dependencies, as npm resolved them (pure JavaScript: Architecture: all).
npm ls --omit=dev --parseable --all | tail -n +2 | while read -r dir; do
  rel=${dir#"$PWD"/}
  mkdir -p "$lib/$(dirname "$rel")"
  cp -r "$dir" "$lib/$rel"
done
find "$lib/node_modules" \( -name '*.md' -o -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' \
  -o -name '*.d.cts' -o -name '.npmignore' -o -name '.gitignore' -o -name '.eslintrc*' \
  -o -name '.travis.yml' -o -name '.github' \) -prune -exec rm -rf {} +
install -d "$stage/usr/bin"
ln -s ../lib/ebb/bin/ebb "$stage/usr/bin/ebb"

# Units, configuration, logrotate, man page, copyright and changelog.
install -D -m 0644 -t "$stage/usr/lib/systemd/system" \
  contrib/systemd/ebb.service contrib/systemd/ebb.socket contrib/systemd/ebb@.service
install -D -m 0644 contrib/ebb.toml "$stage/etc/ebb/ebb.toml"
install -D -m 0644 contrib/logrotate/ebb "$stage/etc/logrotate.d/ebb"
install -d "$stage/usr/share/man/man1" "$stage/usr/share/doc/ebb"
node "$lib/dist/scripts/man-page.js" | gzip -9n >"$stage/usr/share/man/man1/ebb.1.gz"
rm -r "$lib/dist/scripts"
install -m 0644 contrib/debian/copyright "$stage/usr/share/doc/ebb/copyright"
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
printf 'ebb (%s) unstable; urgency=medium\n\n  * Built from the ebb repository with npm run deb.\n\n -- ebb developers <ebb@example.org>  %s\n' \
  "$version" "$date" | gzip -9n >"$stage/usr/share/doc/ebb/changelog.gz"

# Every file readable, nothing group- or world-writable; then the package metadata.
chmod -R u+rwX,go+rX,go-w "$stage"
install -d -m 0755 "$stage/DEBIAN"
install -m 0755 contrib/debian/postinst contrib/debian/postrm "$stage/DEBIAN/"
printf '/etc/ebb/ebb.toml\n/etc/logrotate.d/ebb\n' >"$stage/DEBIAN/conffiles"
installed_kib=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_kib/" contrib/debian/control \
  >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
  xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

mkdir -p "$out_dir"
deb=$out_dir/ebb_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
