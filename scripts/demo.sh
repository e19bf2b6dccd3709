#!/usr/bin/env bash
# The main job, end to end, on the bundled sample portal:
# serve it on 127.0.0.1, add it as a site, crawl it (and again, incrementally),
# show what was archived, and search it without diacritics and by place.
set -euo pipefail
data=${1:-demo-data}
bin=${DNA_BIN:-.venv/bin}
rm -rf "$data"
mkdir -p "$data"

# The portal prints its base URL on its first line once it listens.
"$bin/python" -m sampleportal --family vnportal --port 0 >"$data/portal.out" 2>"$data/portal.err" &
portal=$!
trap 'kill $portal 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$data/portal.out" ] && break
  sleep 0.1
done
url=$(head -n1 "$data/portal.out")
echo "Sample portal (Xã Thanh Liên, vnPortal family) at $url"

# A local demo server needs no politeness delay; real portals keep the defaults.
cat >"$data/sites.toml" <<TOML
[crawler]
download_delay = 0
autothrottle = false
TOML

set -x
"$bin/dna" sites add xa-thanh-lien "$url" --data "$data" \
    --province "Nghệ An" --district "Thanh Chương" --commune "Thanh Liên"
"$bin/dna" sites --data "$data"
"$bin/dna" crawl xa-thanh-lien --data "$data"
# Again, as a schedule would: a new crawl fetches only what is not archived yet.
"$bin/dna" crawl xa-thanh-lien --data "$data"
"$bin/dna" crawls --data "$data"
"$bin/dna" stats --data "$data"
"$bin/dna" search "thanh lien" --data "$data" --limit 10
"$bin/dna" places "Tam Đồng, Nghệ An" --data "$data"
"$bin/dna" search "nong thon moi" --place "Tam Đồng, Nghệ An" --data "$data" --limit 3
