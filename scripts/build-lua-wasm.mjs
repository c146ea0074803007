#!/usr/bin/env node
/**
 * Build step: makes dist/lua/liblua5.1-asyncify.wasm, the Lua 5.1 WebAssembly of wasmoon-lua5.1
 * transformed by Binaryen's Asyncify pass, so that the scripting engine's count hook can suspend a
 * running script at any depth (inside pcall, table.sort, gsub callbacks, metamethods) and resume it
 * on a later event-loop turn (src/scripting/lua.ts). Only `env.invoke_vii` (emscripten's setjmp
 * trampoline, a pass-through to the function table) is declared as an import that may unwind; the
 * hook itself is reached through the function table (an indirect call, which Asyncify instruments).
 * Skipped when the output is newer than the input. Needs the `binaryen` package (its wasm-opt);
 * `WASM_OPT=/path/to/wasm-opt` overrides.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const input = join(dirname(require.resolve('wasmoon-lua5.1')), 'liblua5.1.wasm');
const output = join(root, 'dist', 'lua', 'liblua5.1-asyncify.wasm');

if (
  existsSync(output) &&
  statSync(output).mtimeMs >= statSync(input).mtimeMs &&
  statSync(output).mtimeMs >= statSync(fileURLToPath(import.meta.url)).mtimeMs
) {
  process.exit(0);
}
const wasmOpt = process.env.WASM_OPT;
let cmd;
let args = [];
if (wasmOpt) {
  cmd = wasmOpt;
} else {
  let pkg;
  try {
    pkg = require.resolve('binaryen/package.json');
  } catch {
    console.error('build-lua-wasm: the binaryen package is missing (npm install), or set WASM_OPT');
    process.exit(1);
  }
  cmd = process.execPath;
  args = [join(dirname(pkg), 'bin', 'wasm-opt')];
}
mkdirSync(dirname(output), { recursive: true });
execFileSync(cmd, [...args, input, '--asyncify', '--pass-arg=asyncify-imports@env.invoke_vii', '-O2', '-o', output], {
  stdio: 'inherit',
});
