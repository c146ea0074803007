#!/usr/bin/env bash
# Obtains Redis 7.0.15's own test suite (runtest + tests/) and C source from Debian's `redis` source
# package, into a cache folder outside the repository (never committed: it is Redis's code).
# Usage: scripts/redis-suite/fetch.sh [cache-dir]   (default: $KEYDRA_SUITE_CACHE or ~/.cache/keydra-redis-suite)
# Prints the path of the unpacked redis-7.0.15 folder on its last line.
# Needs root (apt-get). Follows ../shared/redis-suite.md: a deb-src list built from the machine's own
# apt sources, `apt-get source --download-only redis`, then the .orig.tar.gz unpacked.
set -euo pipefail
cache="${1:-${KEYDRA_SUITE_CACHE:-$HOME/.cache/keydra-redis-suite}}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
src="$cache/redis-7.0.15"
if [ -x "$src/runtest" ] && [ -d "$src/tests" ] && [ -d "$src/src" ]; then echo "$src"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
command -v tclsh >/dev/null 2>&1 || { apt-get update -qq >&2; apt-get install -y -qq tcl >/dev/null; }
lists="$cache/apt"
mkdir -p "$lists/lists/partial" "$lists/cache/archives/partial"
srcfile="$lists/deb-src.sources"
: > "$srcfile"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed -e 's/^Types:.*/Types: deb-src/' "$f" >> "$srcfile"
  echo >> "$srcfile"
done
if [ -f /etc/apt/sources.list ]; then
  grep -E '^deb ' /etc/apt/sources.list | sed -e 's/^deb /deb-src /' > "$lists/deb-src.list" || true
fi
opts=(-o "Dir::Etc::SourceList=$lists/deb-src.list" -o "Dir::Etc::SourceParts=$lists/parts"
  -o "Dir::State::Lists=$lists/lists" -o "Dir::Cache=$lists/cache")
mkdir -p "$lists/parts"; touch "$lists/deb-src.list"
cp "$srcfile" "$lists/parts/deb-src.sources"
apt-get "${opts[@]}" update -qq >&2
dl="$cache/dl"; mkdir -p "$dl"
(cd "$dl" && apt-get "${opts[@]}" source --download-only redis >&2)
tarball=$(ls "$dl"/redis_7.0.15*.orig.tar.gz 2>/dev/null | head -n1)
[ -n "$tarball" ] || { echo "no redis 7.0.15 orig tarball in $dl: $(ls "$dl")" >&2; exit 1; }
tar -xzf "$tarball" -C "$cache"
[ -x "$src/runtest" ] || { echo "unpacked tarball has no runtest" >&2; exit 1; }
echo "$src"
