/**
 * What `import('keydra')` + `startServer` load, in a fresh Node process: a plain standalone
 * server loads neither node:tls, node:crypto, the cluster modules (src/server/lazyCluster.ts) nor the
 * Lua VM, yet answers; each loads on first use: node:crypto with the first password (ACL
 * SETUSER), the cluster modules with a cluster-enabled server in the same process (which then
 * works: CLUSTER MYID), the Lua VM with the first EVAL. Checked for tsc's modules and for the
 * esbuild bundle that package.json's main names. Start time and RSS are measured by
 * `npm run bench -- --only 9`, not here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { clusterPort } from '../helpers/cluster.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** The child: starts servers and reports what is loaded at each step (one JSON line). */
const CHILD = `
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
const { startServer, loadedParts } = await import(process.env.KEYDRA_INDEX);
const builtins = () => process.moduleLoadList.filter((m) => m === 'NativeModule tls' || m === 'NativeModule crypto').sort();
const state = () => ({ builtins: builtins(), cluster: loadedParts().includes('cluster'), lua: loadedParts().includes('lua') });
/** Sends one command (RESP) and returns the first reply line. */
const call = (port, ...argv) => new Promise((resolve, reject) => {
  const s = net.connect(port, '127.0.0.1');
  let buf = '';
  s.on('data', (d) => { buf += d.toString('latin1'); const i = buf.indexOf('\\r\\n'); if (i >= 0) { s.end(); resolve(buf.slice(0, i)); } });
  s.on('error', reject);
  s.write('*' + argv.length + '\\r\\n' + argv.map((a) => '$' + a.length + '\\r\\n' + a + '\\r\\n').join(''));
});
const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'keydra-lazy-'));
const out = {};
const a = await startServer({ port: 0, save: '', appendonly: false, dir: dir() });
out.ping = await call(a.port, 'PING');
out.plain = state();
out.setuser = await call(a.port, 'ACL', 'SETUSER', 'u', 'on', '>secret', '~*', '+@all');
out.afterPassword = state();
const b = await startServer({ port: Number(process.env.CLUSTER_PORT), save: '', appendonly: false, dir: dir(), 'cluster-enabled': 'yes' });
out.myid = await call(b.port, 'CLUSTER', 'MYID');
out.afterCluster = state();
out.plainStillStandalone = await call(a.port, 'CLUSTER', 'MYID');
out.eval = await call(a.port, 'EVAL', 'return 1', '0');
out.afterEval = state();
await b.close();
await a.close();
process.stdout.write(JSON.stringify(out) + '\\n');
`;

/** Runs CHILD with the given entry module; returns its report. */
async function runChild(index: string): Promise<Record<string, unknown> & { afterCluster: { cluster: boolean; lua: boolean } }> {
  const port = await clusterPort();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    encoding: 'utf8',
    env: { ...process.env, KEYDRA_INDEX: index, CLUSTER_PORT: String(port) },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

// tsc's modules (what the tests import) and the esbuild bundle (package.json main: what
// `import('keydra')` loads; scripts/bundle.mjs), whose lazy parts are chunks of their own.
for (const [name, index] of [
  ['tsc modules, dist/src/index.js', join(src, 'index.js')],
  ['the bundle, dist/src/bundle/index.js', join(src, 'bundle', 'index.js')],
]) {
  describe(`embedded start-up loads only what a standalone server needs (${name})`, () => {
    it('node:tls, node:crypto, cluster and Lua load on first use, not at import', async () => {
      const out = await runChild(index);
      assert.equal(out.ping, '+PONG');
      assert.deepEqual(out.plain, { builtins: [], cluster: false, lua: false });
      assert.equal(out.setuser, '+OK');
      assert.deepEqual(out.afterPassword, { builtins: ['NativeModule crypto'], cluster: false, lua: false });
      assert.match(out.myid as string, /^\$40$/); // a bulk string of 40 hex characters
      assert.equal(out.afterCluster.cluster, true);
      assert.equal(out.afterCluster.lua, false);
      assert.equal(out.plainStillStandalone, '-ERR This instance has cluster support disabled');
      assert.equal(out.eval, ':1');
      assert.deepEqual(out.afterEval, { builtins: ['NativeModule crypto'], cluster: true, lua: true });
    });
  });
}
