/**
 * Generates src/server/redis-commands.json (the COMMAND INFO reply of every command) and
 * src/server/redis-command-docs.json (its COMMAND DOCS reply) from a running redis-server 7.0, as
 * RESP3 trees (see src/protocol/decoder.ts). Keydra's command table takes arity, flags, key
 * positions, key specs and ACL categories from the first at import, and the docs from the second
 * on the first COMMAND DOCS (src/server/command.ts), so they match Redis's own command specs
 * (Redis's src/commands/*.json) exactly.
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
const out: Record<string, { info: RespNode }> = {};
const outDocs: Record<string, RespNode> = {};
for (const entry of info.sort((a, b) => ((a as string[])[0] < (b as string[])[0] ? -1 : 1))) {
  const name = (entry as RespNode[])[0] as string;
  out[name] = { info: entry };
  outDocs[name] = docMap.get(name) ?? null;
}
const ver = /redis_version:(\S+)/.exec(version.v)?.[1];
const source = `redis-server ${ver} COMMAND and COMMAND DOCS`;
writeFileSync(new URL('../../src/server/redis-commands.json', import.meta.url), `${JSON.stringify({ source, commands: out })}\n`);
writeFileSync(new URL('../../src/server/redis-command-docs.json', import.meta.url), `${JSON.stringify({ source, docs: outDocs })}\n`);
console.log(`wrote ${Object.keys(out).length} commands from redis ${ver}`);
