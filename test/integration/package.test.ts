/**
 * The npm package: `npm pack` (of the built tree, scripts skipped: `npm test` has just built it)
 * gives a tarball that installs into an empty folder without dev dependencies
 * (`npm install <tarball> --omit=dev`, from npm's cache when it can) and runs `npx keydra-server`
 * with no build step: it answers PING on the port given, and `import('keydra')` works there too.
 * Skips with a message when npm is not available.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { freePort } from '../helpers/servers.js';

const HAS_NPM = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs a command (no shell) and resolves with its output; rejects with stderr on failure. */
function run(cmd: string, args: string[], cwd: string, timeout = 120000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('npm package', { skip: HAS_NPM ? false : 'npm not available: package test skipped', timeout: 180000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'keydra-pkg-'));
  let server: ChildProcess | null = null;
  after(async () => {
    if (server !== null && server.pid !== undefined) {
      // npx runs keydra-server through `sh -c`: the whole process group it leads (ours) is stopped.
      const gone = server.exitCode === null ? new Promise((r) => server?.once('exit', r)) : Promise.resolve();
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {}
      await gone;
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('packs, installs into an empty folder with --omit=dev and runs npx keydra-server', async () => {
    const root = process.cwd();
    assert.ok(existsSync(join(root, 'dist/lua/liblua5.1-asyncify.wasm')), 'the build (npm run build) must have run');
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack made no tarball');
    const app = join(work, 'app');
    await run('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true,"type":"module"}\n');
    await run('npm', ['install', join(work, tgz), '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
    // No dev dependency came along (the Lua wasm is prebuilt; binaryen only builds it).
    assert.ok(!existsSync(join(app, 'node_modules/binaryen')));
    assert.ok(!existsSync(join(app, 'node_modules/typescript')));
    const port = await freePort();
    server = spawn('npx', ['--no-install', 'keydra-server', '--port', String(port), '--save', '', '--dir', join(work, 'data')], {
      cwd: app,
      stdio: 'ignore',
      detached: true, // its own process group, so that the server npx starts is stopped with it
    });
    let pong: unknown = null;
    for (let i = 0; i < 200 && pong === null; i++) {
      if (server.exitCode !== null) assert.fail(`keydra-server exited with ${server.exitCode}`);
      try {
        const c = await RawClient.connect(port);
        pong = await c.call('PING');
        // Scripting works from the package (the Lua wasm in dist/lua).
        assert.equal(await c.call('EVAL', 'return 6 * 7', '0'), 42);
        c.close();
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.deepEqual(pong, { t: '+', v: 'PONG' });
    // The embedded API from the installed package.
    const script =
      "import { startServer } from 'keydra'; const s = await startServer({ port: 0, save: '' }); console.log(s.url); await s.close();";
    const out = await run(process.execPath, ['--input-type=module', '-e', script], app, 30000);
    assert.match(out, /^redis:\/\/127\.0\.0\.1:\d+$/m);
  });
});
