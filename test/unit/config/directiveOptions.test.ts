/**
 * src/config/directiveOptions.ts (startServer's typed options) is what scripts/gen-directive-options.ts
 * generates from the config table, every camelCase name maps back to its directive the way
 * startServer maps it, and no directive is listed twice in the table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Config, DIRECTIVES, findDirective } from '../../../src/config/config.js';
import { camelName, directiveOptionsSource } from '../../../scripts/gen-directive-options.js';
import { startServer } from '../../../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

describe('startServer typed options', () => {
  it('src/config/directiveOptions.ts is current (npm run build && node dist/scripts/gen-directive-options.js)', () => {
    const file = readFileSync(join(root, 'src', 'config', 'directiveOptions.ts'), 'utf8');
    assert.equal(file, directiveOptionsSource(DIRECTIVES));
  });

  it('each directive and alias is in the table once', () => {
    const names = DIRECTIVES.flatMap((d) => [d.name, ...(d.aliases ?? [])]);
    const dup = names.filter((n, i) => names.indexOf(n) !== i);
    assert.deepEqual(dup, []);
  });

  it('directives the replication implements log no "not implemented" warning when set', () => {
    const c = new Config();
    const set: [string, string][] = [
      ['repl-diskless-sync', 'no'],
      ['repl-diskless-sync-delay', '1'],
      ['repl-diskless-sync-max-replicas', '2'],
      ['repl-ping-replica-period', '3'],
      ['min-replicas-to-write', '1'],
      ['min-replicas-max-lag', '4'],
      ['repl-backlog-size', '2mb'],
      ['repl-backlog-ttl', '60'],
      ['tracking-table-max-keys', '10'],
    ];
    for (const [n, v] of set) c.set(n, [v]);
    assert.deepEqual(c.takeStubWarnings(), []);
    c.set('activedefrag', ['yes']); // a stub: the control
    assert.deepEqual(c.takeStubWarnings(), ["Directive 'activedefrag' is accepted but not implemented in Keydra (no effect)"]);
  });

  it('every camelCase name maps back to its directive', () => {
    for (const d of DIRECTIVES) {
      for (const n of [d.name, ...(d.aliases ?? [])]) {
        const back = camelName(n).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        assert.equal(findDirective(back), d, `${camelName(n)} -> ${back}`);
      }
    }
  });

  it('camelCase, boolean, number and list options reach the config', async () => {
    const s = await startServer({
      port: 0,
      save: '',
      appendonly: false,
      maxmemoryPolicy: 'allkeys-lru',
      'hash-max-listpack-entries': 64,
      lazyfreeLazyExpire: true,
      notifyKeyspaceEvents: 'KEA',
      dir: join(root, 'dist', 'test-directive-options'),
      replicaLazyFlush: 'yes',
      bind: ['127.0.0.1'],
    });
    try {
      assert.equal(s.server.config.str('maxmemory-policy'), 'allkeys-lru');
      assert.equal(s.server.config.num('hash-max-listpack-entries'), 64);
      assert.equal(s.server.config.bool('lazyfree-lazy-expire'), true);
      assert.equal(s.server.config.bool('replica-lazy-flush'), true);
      assert.deepEqual(s.server.config.get('bind'), ['127.0.0.1']);
    } finally {
      await s.close();
    }
  });
});
