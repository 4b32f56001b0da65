#!/usr/bin/env bash
# The web pages' front-end packages: installed from the npm registry with the versions locked in
# package-lock.json (npm ci), then the files the pages load are copied into
# souk/web/static/vendor/, which whitenoise serves. Nothing is loaded from a CDN at run time.
# Quick when node_modules is current.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

command -v npm >/dev/null 2>&1 || die "npm is missing (Debian: apt-get install nodejs npm)"

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing the front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

vendor=souk/web/static/vendor
mkdir -p "$vendor/leaflet/images"
copy() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }
copy node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
copy node_modules/alpinejs/dist/cdn.min.js "$vendor/alpine.min.js"
copy node_modules/chart.js/dist/chart.umd.min.js "$vendor/chart.umd.min.js"
copy node_modules/leaflet/dist/leaflet.js "$vendor/leaflet/leaflet.js"
copy node_modules/leaflet/dist/leaflet.css "$vendor/leaflet/leaflet.css"
for image in node_modules/leaflet/dist/images/*.png; do
  copy "$image" "$vendor/leaflet/images/$(basename "$image")"
done
copy node_modules/topojson-client/dist/topojson-client.min.js "$vendor/topojson-client.min.js"
# The basemap: country outlines (Natural Earth 1:50m via world-atlas), drawn as vector shapes
# since map tiles cannot be assumed reachable.
copy node_modules/world-atlas/countries-50m.json "$vendor/countries-50m.json"
