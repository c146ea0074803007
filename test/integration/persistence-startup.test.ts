/**
 * Start-up persistence with real keydra-server processes: a large RDB loads in slices with the
 * listener open (-LOADING, INFO loading_* fields, progress in the log); bad RDB and AOF files
 * (bit flips, truncation, in base and incr files) stop the server with a non-zero exit and a
 * message naming the file and offset; rdbchecksum no; automatic AOF rewrite on growth.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { startServer } from '../../src/index.js';
import { encodeRdb } from '../../src/persistence/rdb/rdb.js';
import { Keyspace, type KeyspaceHooks, ObjType, RObject } from '../../src/store/db.js';
import { freePort } from '../helpers/servers.js';

const BIN = join(process.cwd(), 'bin', 'keydra-server.js');
const hooks = new Proxy({}, { get: () => () => {} }) as KeyspaceHooks;

function tmp(): string {
  return fs.mkdtempSync(join(tmpdir(), 'keydra-startup-'));
}

/** Writes dump.rdb with `n` keys key:N → value:N in db 0 (and a few in db 3). */
function writeBigRdb(dir: string, n: number): void {
  const ks = new Keyspace(16, hooks);
  const db = ks.dbs[0];
  for (let i = 0; i < n; i++) db.add(`key:${i}`, new RObject(ObjType.String, `value:${i}`));
  ks.dbs[3].add('other', new RObject(ObjType.String, 'db3'));
  fs.writeFileSync(join(dir, 'dump.rdb'), encodeRdb(ks));
}

/** Runs keydra-server to completion (it must fail): exit status and output. */
function runFailing(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, '--port', '0', '--save', '', ...args], { encoding: 'utf8', timeout: 30000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('loading at start-up', () => {
  it('serves -LOADING with the listener open while a big RDB loads, then the data', async () => {
    const dir = tmp();
    const N = 600_000;
    writeBigRdb(dir, N);
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [BIN, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--loglevel', 'verbose'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    proc.stdout?.on('data', (d) => {
      log += d;
    });
    proc.stderr?.on('data', (d) => {
      log += d;
    });
    try {
      let c: RawClient | null = null;
      for (let i = 0; i < 2000 && c === null; i++) {
        c = await RawClient.connect(port).catch(() => null);
        if (c === null) await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(c, `could not connect: ${log}`);
      let loadingReplies = 0;
      let sawInfo = false;
      for (;;) {
        const r = (await c.send('GET', 'key:123')).raw.toString();
        if (r === '-LOADING Redis is loading the dataset in memory\r\n') {
          loadingReplies++;
          // Commands flagged `loading` run meanwhile: INFO shows the progress.
          const info = (await c.send('INFO', 'persistence')).raw.toString();
          if (/loading:1\r\n/.test(info)) {
            assert.match(info, /loading_total_bytes:\d+\r\n/);
            assert.match(info, /loading_loaded_bytes:\d+\r\n/);
            assert.match(info, /loading_loaded_perc:\d+\.\d\d\r\n/);
            assert.match(info, /loading_eta_seconds:\d+\r\n/);
            assert.match(info, /loading_start_time:\d+\r\n/);
            sawInfo = true;
          }
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        assert.equal(r, '$9\r\nvalue:123\r\n');
        break;
      }
      assert.ok(loadingReplies > 0, 'connected during the load and got -LOADING');
      assert.ok(sawInfo, 'INFO persistence showed loading:1 during the load');
      assert.equal((await c.send('DBSIZE')).raw.toString(), `:${N}\r\n`);
      assert.match((await c.send('INFO', 'persistence')).raw.toString(), /loading:0\r\n[\s\S]*rdb_last_load_keys_loaded:600001\r\n/);
      c.close();
      assert.match(log, /Done loading RDB, keys loaded: 600001, keys expired: 0\./);
      assert.match(log, /DB loaded from disk: \d+\.\d+ seconds/);
    } finally {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bad files stop the server (non-zero exit, file and offset named)', () => {
  it('RDB: bit flip in a value (checksum), truncation in the middle', async () => {
    const dir = tmp();
    writeBigRdb(dir, 20_000);
    const file = join(dir, 'dump.rdb');
    const img = fs.readFileSync(file);
    const flipped = Buffer.from(img);
    flipped[Math.floor(img.length / 2)] ^= 0x20;
    fs.writeFileSync(file, flipped);
    let r = runFailing(['--dir', dir]);
    assert.notEqual(r.status, 0);
    // A flip inside a value parses and fails the checksum; one in a length or type fails the parse.
    assert.match(r.out, /dump\.rdb at offset \d+|RDB CRC error/);
    fs.writeFileSync(file, img.subarray(0, Math.floor(img.length / 2)));
    r = runFailing(['--dir', dir]);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /dump\.rdb at offset \d+: Unexpected EOF/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('RDB with a wrong CRC64: the same two log lines as redis-server (expected and read CRC), no start', {
    skip: spawnSync('redis-server', ['--version']).status !== 0 ? 'redis-server not installed' : false,
  }, async () => {
    const dir = tmp();
    writeBigRdb(dir, 100);
    const file = join(dir, 'dump.rdb');
    const img = fs.readFileSync(file);
    img.write('foobar00', img.length - 8, 'latin1');
    fs.writeFileSync(file, img);
    const k = runFailing(['--dir', dir]);
    const rr = spawnSync('redis-server', ['--port', String(await freePort()), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
      encoding: 'utf8',
      timeout: 30000,
    });
    const redisOut = `${rr.stdout}${rr.stderr}`;
    assert.notEqual(k.status, 0);
    assert.notEqual(rr.status, 0);
    const line = /Wrong RDB checksum expected: \([0-9a-f]{1,16}\) but got \(30307261626f6f66\)\. Aborting now\./;
    const expected = (out: string) => /Wrong RDB checksum expected: \(([0-9a-f]{1,16})\)/.exec(out)?.[1];
    assert.match(k.out, line);
    assert.match(redisOut, line);
    assert.equal(expected(k.out), expected(redisOut), 'both compute the same CRC64 of the file');
    for (const out of [k.out, redisOut])
      assert.match(out, /Internal error in RDB reading offset 0, function at rdb\.c:\d+ -> RDB CRC error/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('AOF: bit-flipped or truncated base RDB, bit-flipped incr, missing incr file', async () => {
    const dir = tmp();
    {
      const srv = await startServer({ port: 0, dir, save: '', appendonly: true, appendfsync: 'no' });
      const c = await RawClient.connect(srv.port);
      await Promise.all(Array.from({ length: 2000 }, (_, i) => c.send('SET', `k${i}`, `v${i}`.repeat(5))));
      await c.send('BGREWRITEAOF');
      while (!(await c.send('INFO', 'persistence')).raw.toString().includes('aof_rewrite_in_progress:0'))
        await new Promise((res) => setTimeout(res, 10));
      await Promise.all(Array.from({ length: 200 }, (_, i) => c.send('SET', `after${i}`, 'x')));
      c.close();
      await srv.close();
    }
    const aofDir = join(dir, 'appendonlydir');
    const base = join(aofDir, 'appendonly.aof.2.base.rdb');
    const incr = join(aofDir, 'appendonly.aof.2.incr.aof');
    const baseImg = fs.readFileSync(base);
    const incrImg = fs.readFileSync(incr);
    const args = ['--dir', dir, '--appendonly', 'yes'];

    const flipped = Buffer.from(baseImg);
    flipped[Math.floor(baseImg.length / 2)] ^= 0x01;
    fs.writeFileSync(base, flipped);
    let r = runFailing(args);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /Error reading the RDB base file appendonly\.aof\.2\.base\.rdb, AOF loading aborted/);
    assert.match(r.out, /AOF loading stopped at appendonly\.aof\.2\.base\.rdb offset \d+/);

    fs.writeFileSync(base, baseImg.subarray(0, Math.floor(baseImg.length / 2)));
    r = runFailing(args);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /appendonly\.aof\.2\.base\.rdb offset \d+: Unexpected EOF/);
    fs.writeFileSync(base, baseImg);

    const badIncr = Buffer.from(incrImg);
    const at = badIncr.indexOf('*3\r\n', Math.floor(incrImg.length / 2));
    badIncr[at] = 0x2b; // '+' where a command starts
    fs.writeFileSync(incr, badIncr);
    r = runFailing(args);
    assert.notEqual(r.status, 0);
    assert.match(
      r.out,
      /Bad file format reading the append only file appendonly\.aof\.2\.incr\.aof: make a backup of your AOF file, then use \.\/redis-check-aof --fix <filename\.manifest>/,
    );
    assert.match(r.out, new RegExp(`AOF loading stopped at appendonly\\.aof\\.2\\.incr\\.aof offset ${at}: expected \\*`));

    // A truncated incr in the middle of a command is refused with aof-load-truncated no.
    fs.writeFileSync(incr, incrImg.subarray(0, incrImg.length - 3));
    r = runFailing([...args, '--aof-load-truncated', 'no']);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /Unexpected end of file reading the append only file appendonly\.aof\.2\.incr\.aof\. You can: 1\)/);
    assert.match(r.out, /AOF loading stopped at appendonly\.aof\.2\.incr\.aof offset \d+/);

    fs.rmSync(incr);
    r = runFailing(args);
    assert.notEqual(r.status, 0);
    // Redis getAppendOnlyFileSize's log line.
    assert.match(r.out, /Unable to obtain the AOF file appendonly\.aof\.2\.incr\.aof length\. stat: No such file or directory/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('rdbchecksum and automatic AOF rewrite', () => {
  it('rdbchecksum no writes a zero CRC64 and loads it; redis-check-rdb accepts it', async () => {
    const dir = tmp();
    {
      const srv = await startServer({ port: 0, dir, save: '', rdbchecksum: false });
      const c = await RawClient.connect(srv.port);
      await c.send('SET', 'a', '1');
      assert.equal((await c.send('SAVE')).raw.toString(), '+OK\r\n');
      await c.send('SET', 'b', '2');
      assert.equal((await c.send('BGSAVE')).raw.toString(), '+Background saving started\r\n');
      while (!(await c.send('INFO', 'persistence')).raw.toString().includes('rdb_bgsave_in_progress:0'))
        await new Promise((res) => setTimeout(res, 10));
      c.close();
      await srv.close();
    }
    const img = fs.readFileSync(join(dir, 'dump.rdb'));
    assert.deepEqual([...img.subarray(img.length - 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
    const srv = await startServer({ port: 0, dir, save: '', rdbchecksum: false });
    const c = await RawClient.connect(srv.port);
    assert.equal((await c.send('MGET', 'a', 'b')).raw.toString(), '*2\r\n$1\r\n1\r\n$1\r\n2\r\n');
    c.close();
    await srv.close();
    const check = spawnSync('redis-check-rdb', [join(dir, 'dump.rdb')], { encoding: 'utf8' });
    if (!check.error) assert.match(check.stdout, /RDB looks OK/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('auto-aof-rewrite-percentage / min-size start a background rewrite from cron; INFO sizes', async () => {
    const dir = tmp();
    const srv = await startServer({
      port: 0,
      dir,
      save: '',
      appendonly: true,
      appendfsync: 'no',
      'auto-aof-rewrite-min-size': '64kb',
      'auto-aof-rewrite-percentage': '100',
    });
    const c = await RawClient.connect(srv.port);
    try {
      const info = async () => (await c.send('INFO', 'persistence')).raw.toString();
      assert.match(await info(), /aof_rewrites:0\r\n/);
      // The same keys over and over: the log grows, the dataset does not.
      await Promise.all(Array.from({ length: 2000 }, (_, i) => c.send('SET', `k${i % 10}`, 'x'.repeat(100))));
      let text = '';
      for (let i = 0; i < 300; i++) {
        text = await info();
        if (!/aof_rewrites:0\r\n/.test(text) && /aof_rewrite_in_progress:0/.test(text)) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      // Let a possible second rewrite (the burst may outgrow the first one's base) finish too.
      await new Promise((res) => setTimeout(res, 300));
      for (let i = 0; i < 300; i++) {
        text = await info();
        if (/aof_rewrite_in_progress:0/.test(text)) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      const n = Number(/aof_rewrites:(\d+)/.exec(text)?.[1]);
      assert.ok(n >= 1, text);
      const cur = Number(/aof_current_size:(\d+)/.exec(text)?.[1]);
      const base = Number(/aof_base_size:(\d+)/.exec(text)?.[1]);
      assert.ok(base > 0 && cur >= base, `sizes after the rewrite: current ${cur}, base ${base}`);
      const files = fs.readdirSync(join(dir, 'appendonlydir')).sort();
      const seq = n + 1;
      assert.deepEqual(files, [`appendonly.aof.${seq}.base.rdb`, `appendonly.aof.${seq}.incr.aof`, 'appendonly.aof.manifest']);
    } finally {
      c.close();
      await srv.close();
    }
    const srv2 = await startServer({ port: 0, dir, save: '', appendonly: true });
    const c2 = await RawClient.connect(srv2.port);
    assert.equal((await c2.send('DBSIZE')).raw.toString(), ':10\r\n');
    c2.close();
    await srv2.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('CONFIG SET appendonly yes writes the base in the background; writes meanwhile are kept', async () => {
    const dir = tmp();
    const srv = await startServer({ port: 0, dir, save: '' });
    const c = await RawClient.connect(srv.port);
    try {
      await Promise.all(Array.from({ length: 5000 }, (_, i) => c.send('SET', `k${i}`, `v${i}`)));
      assert.equal((await c.send('CONFIG', 'SET', 'appendonly', 'yes')).raw.toString(), '+OK\r\n');
      await c.send('SET', 'during', 'rewrite');
      let info = '';
      for (let i = 0; i < 300; i++) {
        info = (await c.send('INFO', 'persistence')).raw.toString();
        if (/aof_rewrite_in_progress:0/.test(info)) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      assert.match(info, /aof_enabled:1\r\n[\s\S]*aof_last_bgrewrite_status:ok/);
      await c.send('SET', 'after', 'rewrite');
    } finally {
      c.close();
      await srv.close();
    }
    const srv2 = await startServer({ port: 0, dir, save: '', appendonly: true });
    const c2 = await RawClient.connect(srv2.port);
    assert.equal((await c2.send('DBSIZE')).raw.toString(), ':5002\r\n');
    assert.equal(
      (await c2.send('MGET', 'k4999', 'during', 'after')).raw.toString(),
      '*3\r\n$5\r\nv4999\r\n$7\r\nrewrite\r\n$7\r\nrewrite\r\n',
    );
    c2.close();
    await srv2.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('multi-part AOF manifest and old-style AOF files (Redis 7.0 aof.c)', () => {
  it('a malformed manifest stops the server with Redis report', () => {
    const cases: [string, RegExp][] = [
      ['', /Found an empty AOF manifest/],
      ['file appendonly.aof.1.base.rdb seq 1 type b\n\nfile appendonly.aof.1.incr.aof seq 1 type i\n', /Invalid AOF manifest file format/],
      ['file a.1.base.rdb seq 1 type b\nfile a.2.base.rdb seq 2 type b\n', /Found duplicate base file information/],
      ['file a.2.incr.aof seq 2 type i\nfile a.1.incr.aof seq 1 type i\n', /Found a non-monotonic sequence number/],
      ['file a.1.incr.aof seq 1 type x\n', /Unknown AOF file type/],
      ['file a.1.incr.aof seq 1 type i', /The AOF manifest file contains too long line/],
      [`file ${'x'.repeat(1100)} seq 1 type i\n`, /The AOF manifest file contains too long line/],
      ['file dir/a.1.incr.aof seq 1 type i\n', /File can't be a path, just a filename/],
    ];
    for (const [manifest, want] of cases) {
      const dir = tmp();
      fs.mkdirSync(join(dir, 'appendonlydir'));
      fs.writeFileSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), manifest);
      const r = runFailing(['--dir', dir, '--appendonly', 'yes']);
      assert.notEqual(r.status, 0, manifest);
      assert.match(r.out, /\*\*\* FATAL AOF MANIFEST FILE ERROR \*\*\*/);
      assert.match(r.out, want);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an old-style appendonly.aof with an RDB preamble and a command tail is migrated into appendonlydir and loaded whole', async () => {
    const dir = tmp();
    const ks = new Keyspace(16, hooks);
    ks.dbs[0].add('k1', new RObject(ObjType.String, 'v1'));
    const tail = '*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$2\r\nv2\r\n';
    fs.writeFileSync(join(dir, 'appendonly.aof'), Buffer.concat([encodeRdb(ks), Buffer.from(tail)]));
    const srv = await startServer({ port: 0, dir, save: '', appendonly: true });
    try {
      const c = await RawClient.connect(srv.port);
      assert.equal(await c.call('GET', 'k1'), 'v1');
      assert.equal(await c.call('GET', 'k2'), 'v2');
      c.close();
      assert.ok(!fs.existsSync(join(dir, 'appendonly.aof')));
      assert.ok(fs.existsSync(join(dir, 'appendonlydir', 'appendonly.aof')));
      const manifest = fs.readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
      assert.match(manifest, /^file appendonly\.aof seq 1 type b\nfile appendonly\.aof\.1\.incr\.aof seq 1 type i\n$/);
    } finally {
      await srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
