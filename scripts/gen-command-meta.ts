/**
 * Generates src/server/redis-commands.json from a running redis-server 7.0: the COMMAND INFO and
 * COMMAND DOCS reply of every command, as RESP3 trees (see src/protocol/decoder.ts).
 * Keydra's command table takes arity, flags, key positions, key specs and docs from it, so they
 * match Redis's own command specs (Redis's src/commands/*.json) exactly.
 *
 * Usage: node dist/scripts/gen-command-meta.js [port=6379]
 */
import { writeFileSync } from 'node:fs';
import { RawClient } from '../src/client/rawClient.js';
import type { RespNode } from '../src/protocol/decoder.js';

const port = Number(process.argv[2] ?? 6379);
const c = await RawClient.connect(port);
await c.call('HELLO', '3');
const version = (await c.call('INFO', 'server')) as { v: string };
const info = (await c.call('COMMAND')) as RespNode[];
const docs = (await c.call('COMMAND', 'DOCS')) as { t: '%'; v: RespNode[] };
c.close();
const docMap = new Map<string, RespNode>();
for (let i = 0; i < docs.v.length; i += 2) docMap.set(docs.v[i] as string, docs.v[i + 1]);
const out: Record<string, { info: RespNode; docs: RespNode }> = {};
for (const entry of info.sort((a, b) => ((a as string[])[0] < (b as string[])[0] ? -1 : 1))) {
  const name = (entry as RespNode[])[0] as string;
  out[name] = { info: entry, docs: docMap.get(name) ?? null };
}
const ver = /redis_version:(\S+)/.exec(version.v)?.[1];
writeFileSync(
  new URL('../../src/server/redis-commands.json', import.meta.url),
  `${JSON.stringify({ source: `redis-server ${ver} COMMAND and COMMAND DOCS`, commands: out })}\n`,
);
console.log(`wrote ${Object.keys(out).length} commands from redis ${ver}`);
