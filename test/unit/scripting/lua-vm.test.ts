/**
 * LuaVM's JS side: the raw-exports object the engine calls through keeps V8 fast properties (in
 * dictionary mode every `m._lua_*` load takes the generic LoadIC), and short strings read from
 * Lua (the latin1String path) round-trip every byte value.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { LuaVM } from '../../../src/scripting/lua.js';

describe('LuaVM', () => {
  it('exposes the raw exports on an object with fast properties', () => {
    const url = pathToFileURL(join(process.cwd(), 'dist', 'src', 'scripting', 'lua.js')).href;
    const r = spawnSync(
      process.execPath,
      [
        '--allow-natives-syntax',
        '--input-type=module',
        '-e',
        `const { LuaVM } = await import(${JSON.stringify(url)}); const v = await LuaVM.load();` +
          'console.log(JSON.stringify({ fast: %HasFastProperties(v.m), n: Object.keys(v.m).length, gettop: typeof v.m._lua_gettop, heap: typeof v.m.HEAPU8 }));',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.deepEqual(out, { fast: true, n: out.n, gettop: 'function', heap: 'object' });
    assert.ok(out.n > 50, `${out.n} exports`);
  });

  it('reads a string back right when a freed string of the same length had its address', async () => {
    // toString caches short strings by address: a Lua string freed by the GC and a new one of the
    // same length at the same address must not be mistaken for each other.
    const v = await LuaVM.load();
    const L = v.newState();
    const addrOf = (): number => v.m._lua_tolstring(L, -1, 0);
    for (const known of [false, true]) {
      let reused = 0;
      for (let i = 0; i < 20; i++) {
        const a = `key:${String(i).padStart(6, '0')}:aaaa`;
        const b = `key:${String(i).padStart(6, '0')}:bbbb`;
        if (known) v.pushKnownString(L, a);
        else v.pushString(L, a);
        const pa = addrOf();
        assert.equal(v.toString(L, -1), a);
        v.m._lua_settop(L, 0);
        v.m._lua_gc(L, 2, 0); // LUA_GCCOLLECT: a is freed
        v.pushString(L, b);
        if (addrOf() === pa) reused++;
        assert.equal(v.toString(L, -1), b);
        v.m._lua_settop(L, 0);
        v.m._lua_gc(L, 2, 0);
      }
      // The case above must have happened, or this test proves nothing.
      assert.ok(reused > 0, 'no address was reused');
    }
  });

  it('reads strings of every length and byte value back from Lua', async () => {
    const v = await LuaVM.load();
    const L = v.newState();
    for (let n = 0; n <= 40; n++) {
      const s = Array.from({ length: n }, (_, i) => String.fromCharCode((i * 37 + n * 11) & 0xff)).join('');
      v.pushString(L, s);
      assert.equal(v.toString(L, -1), s, `length ${n}`);
      v.m._lua_settop(L, 0);
    }
  });
});
