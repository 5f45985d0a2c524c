#!/usr/bin/env bash
# Refresh the Swagger UI that /schema serves (proxy/web/static/vendor/swagger-ui) from npm's
# swagger-ui-dist, so the docs need no CDN. Run by hand when upgrading; the files are committed.
#   scripts/vendor_swagger_ui.sh 5.35.0
set -euo pipefail
version=${1:?usage: scripts/vendor_swagger_ui.sh VERSION}
cd "$(dirname "$0")/.."
dest=proxy/web/static/vendor/swagger-ui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
for f in swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css LICENSE NOTICE; do
  cp "$work/package/$f" "$dest/$f"
done
# Source maps are not shipped: drop the reference, or devtools would ask for them.
sed -i '/sourceMappingURL=swagger-ui.css.map/d' "$dest/swagger-ui.css"
echo "$version" > "$dest/VERSION.txt"
echo "vendored swagger-ui-dist $version into $dest"
