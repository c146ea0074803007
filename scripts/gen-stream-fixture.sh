#!/usr/bin/env bash
# Generates test/fixtures/redis7-streams.rdb with a real redis-server 7.0: streams in the shapes the
# RDB stream codec must read (several listpack nodes, deleted entries, mixed field sets, groups,
# consumers, pending entries, an empty stream with a group, 64-bit edge IDs, XSETID'd metadata,
# a group whose entries-read is unknown (-1)).
#
#   scripts/gen-stream-fixture.sh [port]     (default port 7200; needs redis-server and redis-cli 7.0)
#
# Delivery and seen times come from the clock at generation time; tests compare them between two
# servers loading the same file, never against constants.
set -euo pipefail
PORT="${1:-7200}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/test/fixtures/redis7-streams.rdb"
DIR="$(mktemp -d)"
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" --daemonize yes \
  --logfile "$DIR/redis.log" >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
cli() { redis-cli -p "$PORT" "$@" >/dev/null; }

# s:big — 260 entries in several nodes (100 entries or 4 KB per node), three field sets, integer
# and binary values, long values that push nodes over the byte limit, then XDELs inside nodes.
{
  for i in $(seq 1 260); do
    case $((i % 4)) in
      0) echo "XADD s:big 1000-$i name user$i n $i" ;;
      1) echo "XADD s:big 1000-$i name user$i n $i" ;;
      2) echo "XADD s:big 1000-$i other -$((i * 1000)) extra x" ;;
      3) echo "XADD s:big 1000-$i blob $(printf 'v%.0s' $(seq 1 $((i % 7 == 3 ? 600 : 3))))" ;;
    esac
  done
  for i in 5 6 7 50 101 102 199 200 201 202; do echo "XDEL s:big 1000-$i"; done
  echo 'XGROUP CREATE s:big g1 0'
  echo 'XGROUP CREATE s:big g2 1000-100'
  echo 'XGROUP CREATECONSUMER s:big g1 idle-consumer'
} | redis-cli -p "$PORT" >/dev/null
cli XREADGROUP GROUP g1 alice COUNT 20 STREAMS s:big '>'
cli XREADGROUP GROUP g1 bob COUNT 15 STREAMS s:big '>'
cli XACK s:big g1 1000-1 1000-2 1000-3
cli XCLAIM s:big g1 bob 0 1000-10 1000-11 RETRYCOUNT 7
cli XREADGROUP GROUP g2 carol COUNT 5 STREAMS s:big '>'
cli XREADGROUP GROUP g2 carol NOACK COUNT 3 STREAMS s:big '>'

# s:empty — entries added and all deleted: empty stream with a group and a consumer.
cli XADD s:empty 5-1 a 1
cli XADD s:empty 5-2 a 2
cli XDEL s:empty 5-1 5-2
cli XGROUP CREATE s:empty eg '$'
cli XGROUP CREATECONSUMER s:empty eg lonely
cli XGROUP CREATE s:mk mkg '$' MKSTREAM

# s:edge — 64-bit edge IDs in one node (ms-diff and seq-diff wrap around int64).
cli XADD s:edge 0-1 f min
cli XADD s:edge 1-18446744073709551615 f seqmax
cli XADD s:edge 9223372036854775808-0 f mid
cli XADD s:edge 18446744073709551615-18446744073709551614 f almost
cli XADD s:edge 18446744073709551615-18446744073709551615 f max
cli XGROUP CREATE s:edge ge 0
cli XREADGROUP GROUP ge c1 COUNT 2 STREAMS s:edge '>'

# s:setid — XSETID with ENTRIESADDED / MAXDELETEDID, a trimmed stream (first-id moves).
cli XADD s:setid 10-1 k v
cli XADD s:setid 20-1 k v
cli XADD s:setid 30-1 k v
cli XTRIM s:setid MAXLEN 2
cli XSETID s:setid 40-0 ENTRIESADDED 100 MAXDELETEDID 15-0
cli XGROUP CREATE s:setid late 10-1 ENTRIESREAD 7
cli XGROUP CREATE s:setid unknown 20-0

# s:frag — XDEL in the middle then a group at an ID inside the stream: entries-read unknown (-1).
cli XADD s:frag 1-1 a 1
cli XADD s:frag 2-1 a 2
cli XADD s:frag 3-1 a 3
cli XDEL s:frag 2-1
cli XGROUP CREATE s:frag gf 1-1
cli XGROUP SETID s:frag gf 2-5

# A key of another type next to the streams, and a stream in another db.
cli SET plain string
cli -n 3 XADD s:db3 7-7 field value

cli SAVE
cp "$DIR/dump.rdb" "$OUT"
redis-check-rdb "$OUT" | tail -1
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
