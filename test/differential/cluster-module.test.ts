/**
 * CLUSTER / READONLY / READWRITE / ASKING outside cluster mode, and MODULE (no native modules),
 * against a real redis-server 7.0 (cluster-enabled no, enable-module-command no by default, then
 * yes): same replies byte for byte, errors and help included.
 */
import { after, before, describe, it } from 'node:test';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

describe('CLUSTER and MODULE outside cluster mode (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('CLUSTER subcommands, READONLY, READWRITE, ASKING: cluster support disabled', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['CLUSTER', 'INFO'],
      ['CLUSTER', 'NODES'],
      ['CLUSTER', 'SLOTS'],
      ['CLUSTER', 'SHARDS'],
      ['CLUSTER', 'KEYSLOT', 'foo'],
      ['CLUSTER', 'MYID'],
      ['CLUSTER', 'HELP'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '1'],
      ['CLUSTER', 'GETKEYSINSLOT', '1', '1'],
      ['CLUSTER', 'NOSUCH'],
      ['CLUSTER'],
      ['CLUSTER', 'KEYSLOT'],
      ['READONLY'],
      ['READWRITE'],
      ['ASKING'],
      ['READONLY', 'extra'],
    );
  });

  it('MODULE: empty LIST, help, and LOAD/UNLOAD refused by enable-module-command no', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['MODULE', 'LIST'],
      ['MODULE', 'HELP'],
      ['MODULE', 'LOAD', '/nonexistent/module.so'],
      ['MODULE', 'LOADEX', '/nonexistent/module.so', 'CONFIG', 'a', 'b'],
      ['MODULE', 'UNLOAD', 'foo'],
      ['MODULE'],
      ['MODULE', 'NOSUCH'],
      ['MODULE', 'LIST', 'extra'],
      ['CONFIG', 'GET', 'enable-module-command'],
      ['CONFIG', 'SET', 'enable-module-command', 'yes'],
    );
  });
});

describe('MODULE with enable-module-command yes (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start({ redisArgs: ['--enable-module-command', 'yes'], keydra: { 'enable-module-command': 'yes' } });
  });
  after(async () => {
    await d?.close();
  });

  it('a module that cannot be loaded, and no module to unload', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['MODULE', 'LOAD', '/nonexistent/module.so'], ['MODULE', 'UNLOAD', 'foo'], ['MODULE', 'LIST']);
  });
});
