/**
 * Seeded probe of the Lua sandbox against a real redis-server 7.0: each case is an EVAL that tries
 * to load bytecode (string.dump output, mutated, or random bytes behind Lua's `\x1bLua` signature)
 * or to change what later scripts see (metatables of `_G` and strings, library tables, rawset,
 * setmetatable, globals), each attempt inside pcall so the script reports what happened. Keydra's
 * raw reply must equal Redis's, and after every case a canary script must still see an intact
 * environment on both. Bounded: LUA_PROBE_CASES cases (default 300); LUA_PROBE_SEED picks another
 * sequence (a failure names its case seed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Differential, useDifferential } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';
import { NO_REDIS } from '../helpers/servers.js';

const CASES = Number(process.env.LUA_PROBE_CASES ?? 300);
const SEED = Number(process.env.LUA_PROBE_SEED ?? 1);

/** Attempts that must fail (or change nothing) in Redis 7.0.15's sandbox. */
const TAMPER = [
  "getmetatable('').__index = function() return 'pwned' end",
  "getmetatable('').__index.upper = function() return 'pwned' end",
  'getmetatable(_G).__index = {}',
  'getmetatable(_G).__newindex = function() end',
  'setmetatable(_G, nil)',
  "rawset(_G, 'redis', nil)",
  "rawset(string, 'upper', nil)",
  'string.upper = nil',
  'table.insert = nil',
  "table.insert(string, 'x')",
  'redis.call = nil',
  'cjson.encode = nil',
  'math.floor = nil',
  'KEYS = nil',
  'newglobal = 1',
  '_G.newglobal = 1',
  "local m = getmetatable(''); m.__metatable = nil",
  'setfenv(1, {})',
  'setfenv(2, {})',
  'bit.band = nil',
  'struct.pack = nil',
  'cmsgpack.pack = nil',
  'string.dump = nil',
  "loadstring('x = 1')()",
];

/** A Lua string literal holding arbitrary bytes. */
function luaBytes(b: Buffer): string {
  let s = '"';
  for (const x of b) s += `\\${x}`;
  return `${s}"`;
}

/**
 * One probe script, and whether its reply quotes string.dump output: those bytes differ from
 * Redis's by the VM's ABI (wasm32's 4-byte size_t in the header and in string lengths), so only
 * the reply without the quoted chunk name is compared for them.
 */
function makeCase(rand: () => number): { script: string; dumped: boolean } {
  const kind = Math.floor(rand() * 3);
  if (kind === 0) {
    // string.dump output, mutated at a few places, then loaded.
    const n = 1 + Math.floor(rand() * 4);
    const muts: string[] = [];
    for (let i = 0; i < n; i++) muts.push(`{${1 + Math.floor(rand() * 60)}, ${Math.floor(rand() * 256)}}`);
    const script = [
      'local d = string.dump(function(a) return a + 1 end)',
      `for _, m in ipairs({${muts.join(', ')}}) do`,
      '  if m[1] <= #d then d = d:sub(1, m[1] - 1) .. string.char(m[2]) .. d:sub(m[1] + 1) end',
      'end',
      'local f, err = loadstring(d)',
      "if f then local ok, r = pcall(f, 1) return {'loaded', tostring(ok)} end",
      "return {'refused', err}",
    ].join('\n');
    return { script, dumped: true };
  }
  if (kind === 1) {
    const len = 4 + Math.floor(rand() * 40);
    const bytes = Buffer.from([27, 76, 117, 97, ...Array.from({ length: len }, () => Math.floor(rand() * 256))]);
    return { script: `local f, err = loadstring(${luaBytes(bytes)}) if f then return 'loaded' end return {'refused', err}`, dumped: false };
  }
  const picks: string[] = [];
  const n = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < n; i++) picks.push(TAMPER[Math.floor(rand() * TAMPER.length)]);
  return {
    script: `local out = {}\n${picks.map((p) => `out[#out+1] = tostring(pcall(function() ${p} end))`).join('\n')}\nreturn out`,
    dumped: false,
  };
}

/** A reply with the chunk names of error messages (`[string "..."]`) blanked. */
function withoutChunkNames(raw: Buffer): string {
  return raw
    .toString('latin1')
    .replace(/\[string "[^\r\n]*?"\]/g, '[string]')
    .replace(/\$\d+\r\n/g, '$\r\n');
}

const CANARY =
  "return {type(redis), type(KEYS), ('x'):upper(), type(string.format), type(cjson.encode), tostring(rawget(_G, 'newglobal'))}";

describe('Lua sandbox probe (differential)', () => {
  let d: Differential | null = null;
  useDifferential((x) => {
    d = x;
  });

  it(`${CASES} bytecode and tampering attempts: same replies as Redis, environment intact after each`, async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const dd = d as Differential;
    const canaryOk = (await dd.r.send('EVAL', CANARY, '0')).raw;
    for (let i = 0; i < CASES; i++) {
      const caseSeed = SEED * 1_000_003 + i;
      const { script, dumped } = makeCase(rng(caseSeed));
      const where = `case seed ${caseSeed} (LUA_PROBE_SEED=${SEED}, case ${i}): ${script.slice(0, 200)}`;
      const [r, k] = await Promise.all([dd.r.send('EVAL', script, '0'), dd.k.send('EVAL', script, '0')]);
      if (dumped) assert.equal(withoutChunkNames(k.raw), withoutChunkNames(r.raw), where);
      else assert.equal(k.raw.toString('latin1'), r.raw.toString('latin1'), where);
      const [rc, kc] = await Promise.all([dd.r.send('EVAL', CANARY, '0'), dd.k.send('EVAL', CANARY, '0')]);
      assert.ok(rc.raw.equals(canaryOk), `${where}: redis-server's environment changed`);
      assert.ok(kc.raw.equals(canaryOk), `${where}: Keydra's environment changed: ${kc.raw.toString('latin1')}`);
    }
  });
});
