#!/usr/bin/env bash
# Re-fetch the vendored third-party browser assets from the npm registry at
# pinned versions and copy them, with their licence files, into
# src/coopzone/web/static/vendor/.
#
# The platform runs fully offline (government intranet: no CDN), so these
# files are committed to the repository and served by the app itself.  This
# script is a maintainer tool only: it is NOT run at install or run time.
#
# Usage (from anywhere; needs bash, npm, tar, sha256sum and network access
# to the npm registry):
#
#     tools/vendor_assets.sh            # fetch + copy + write SHA256SUMS.txt
#     tools/vendor_assets.sh --check    # fetch and compare with the committed files
#
# To upgrade a package: change its version below, run the script, review
# the diff (and the licence files!), update static/vendor/README.md.
#
# `npm pack` verifies each tarball against the registry's sha512 integrity
# value; SHA256SUMS.txt records the hashes of the copied files so a reviewer
# can check the committed assets without network access:
#     cd src/coopzone/web/static/vendor && sha256sum -c SHA256SUMS.txt
set -euo pipefail

ECHARTS_VERSION="6.1.0"          # Apache-2.0
HTMX_VERSION="2.0.11"            # 0BSD   (htmx 4.x exists; we stay on the 2.x line)
SWAGGER_UI_VERSION="5.35.0"      # Apache-2.0
# ReDoc (redoc@3.0.1 bundles/redoc.standalone.js) is deliberately NOT
# vendored: it is 2.3 MB, above our 1.5 MB budget; Swagger UI covers /docs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/coopzone/web/static/vendor"
CHECK=0
[[ "${1:-}" == "--check" ]] && CHECK=1

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/out"
mkdir -p "$OUT"

fetch() {  # fetch NAME VERSION -> extracts into $WORK/NAME/package
    local name="$1" version="$2"
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && npm pack --silent "$name@$version" >/dev/null)
    tar -xzf "$WORK/$name"/*.tgz -C "$WORK/$name"
    local got
    got="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$WORK/$name/package/package.json" | head -n1)"
    [[ "$got" == "$version" ]] || { echo "version mismatch for $name: $got" >&2; exit 1; }
}

copy() {  # copy SRC_REL DEST_REL (relative to package/ and $OUT)
    local pkg="$1" src="$2" dst="$3"
    mkdir -p "$(dirname "$OUT/$dst")"
    cp "$WORK/$pkg/package/$src" "$OUT/$dst"
}

echo "fetching echarts@$ECHARTS_VERSION"
fetch echarts "$ECHARTS_VERSION"
copy echarts dist/echarts.min.js   echarts/echarts.min.js
copy echarts LICENSE               echarts/LICENSE
copy echarts NOTICE                echarts/NOTICE
copy echarts licenses/LICENSE-d3   echarts/licenses/LICENSE-d3

echo "fetching htmx.org@$HTMX_VERSION"
fetch htmx.org "$HTMX_VERSION"
copy htmx.org dist/htmx.min.js     htmx/htmx.min.js
copy htmx.org LICENSE              htmx/LICENSE

echo "fetching swagger-ui-dist@$SWAGGER_UI_VERSION"
fetch swagger-ui-dist "$SWAGGER_UI_VERSION"
copy swagger-ui-dist swagger-ui-bundle.js              swagger-ui/swagger-ui-bundle.js
copy swagger-ui-dist swagger-ui-bundle.js.LICENSE.txt  swagger-ui/swagger-ui-bundle.js.LICENSE.txt
copy swagger-ui-dist swagger-ui.css                    swagger-ui/swagger-ui.css
copy swagger-ui-dist LICENSE                           swagger-ui/LICENSE
copy swagger-ui-dist NOTICE                            swagger-ui/NOTICE

(cd "$OUT" && find . -type f ! -name SHA256SUMS.txt | LC_ALL=C sort | sed 's|^\./||' \
    | xargs sha256sum > SHA256SUMS.txt)

if [[ $CHECK -eq 1 ]]; then
    if diff -u "$DEST/SHA256SUMS.txt" "$OUT/SHA256SUMS.txt"; then
        (cd "$DEST" && sha256sum --quiet -c SHA256SUMS.txt) && echo "OK: vendored assets match npm"
    else
        echo "MISMATCH: vendored assets differ from npm (see diff above)" >&2
        exit 1
    fi
    exit 0
fi

mkdir -p "$DEST"
for d in echarts htmx swagger-ui; do
    rm -rf "${DEST:?}/$d"
    cp -r "$OUT/$d" "$DEST/$d"
done
cp "$OUT/SHA256SUMS.txt" "$DEST/SHA256SUMS.txt"
echo "vendored into $DEST (README.md is maintained by hand: update versions there)"
