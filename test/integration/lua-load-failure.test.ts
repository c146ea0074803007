/**
 * A Keydra whose Lua VM cannot load (a copy of the package without dist/lua, as an install that
 * lost its files): every command that needs the VM gets `-ERR Lua VM failed to load: ...`, the
 * commands pipelined behind it run, each attempt tries the load again, and the server stays up.
 * Before the fix, the waiting command was processed afresh on the failed load, waited again on the
 * same rejected promise, and looped in microtasks: the event loop starved, the log grew and the
 * process ran out of memory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { freePort } from '../helpers/servers.js';

describe('a Lua VM that fails to load', () => {
  let dir = '';
  let port = 0;
  let proc: ReturnType<typeof spawn> | null = null;
  let c: RawClient | null = null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keydra-nolua-'));
    // The package without dist/lua (the Lua wasm and its glue).
    cpSync(join(process.cwd(), 'bin'), join(dir, 'bin'), { recursive: true });
    cpSync(join(process.cwd(), 'package.json'), join(dir, 'package.json'));
    cpSync(join(process.cwd(), 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true });
    port = await freePort();
    proc = spawn(process.execPath, [join(dir, 'bin', 'keydra-server.js'), '--port', String(port), '--save', '', '--dir', dir, '--logfile', join(dir, 'log')], {
      stdio: 'ignore',
    });
    for (let i = 0; ; i++) {
      try {
        c = await RawClient.connect(port);
        break;
      } catch {
        if (i > 300 || proc.exitCode !== null) throw new Error(`keydra did not start (exit code ${proc.exitCode})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async () => {
    c?.close();
    if (proc !== null && proc.exitCode === null) {
      const exited = new Promise((r) => proc?.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers each EVAL, FCALL and FUNCTION with the load error, runs what follows, and stays up', async () => {
    const cl = c as RawClient;
    for (const cmd of [
      ['EVAL', 'return 1', '0'],
      ['EVAL', 'return 2', '0'],
      ['FUNCTION', 'LOAD', "#!lua name=l\nredis.register_function('f', function() return 1 end)"],
      ['FCALL', 'f', '0'],
    ]) {
      const r = await cl.send(...cmd);
      assert.match(r.raw.toString('latin1'), /^-ERR Lua VM failed to load: Lua VM: .*liblua5\.1-asyncify\.wasm missing/, cmd.join(' '));
    }
    // Pipelined behind a failing EVAL: the next commands are answered in order.
    const replies = await cl.pipeline([['EVAL', 'return 3', '0'], ['SET', 'k', 'v'], ['GET', 'k'], ['PING']]);
    assert.match(replies[0].raw.toString('latin1'), /^-ERR Lua VM failed to load/);
    assert.deepEqual(
      replies.slice(1).map((r) => r.raw.toString('latin1')),
      ['+OK\r\n', '$1\r\nv\r\n', '+PONG\r\n'],
    );
    assert.equal(proc?.exitCode, null, 'the server is still running');
    // One warning per attempt (each command tried the load again), not a loop of them.
    const warnings = readFileSync(join(dir, 'log'), 'latin1')
      .split('\n')
      .filter((l) => l.includes('Lua VM failed to load'));
    assert.ok(warnings.length >= 5 && warnings.length <= 10, `${warnings.length} warnings logged`);
  });
});
