/**
 * Files of the Keydra package read at run time: the command specs (`src/server/*.json`, copied to
 * dist by tsc), the Lua wasm (`dist/lua/`, made by scripts/build-lua-wasm.mjs) and the bin scripts.
 * They are found from the package root (the first folder above this module holding package.json),
 * so the same code works from tsc's modules in dist/src/ (what the tests import) and from the
 * esbuild bundle in dist/src/bundle/ (what `import('keydra')` and the bin scripts load; see
 * scripts/bundle.mjs). Imports node builtins only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/**
 * The package's root folder (absolute path).
 * @throws Error when no package.json is found above this module (a broken install).
 */
export function packageRoot(): string {
  if (root === null) {
    const start = dirname(fileURLToPath(import.meta.url));
    let dir = start;
    while (!existsSync(join(dir, 'package.json'))) {
      const up = dirname(dir);
      if (up === dir) throw new Error(`keydra: no package.json above ${start}`);
      dir = up;
    }
    root = dir;
  }
  return root;
}

/** Absolute path of a file of the package, from a path relative to its root (e.g. 'dist/lua/x.wasm'). */
export function packageFile(rel: string): string {
  return join(packageRoot(), rel);
}

/** One entry of redis-commands.json: the reply of redis-server 7.0.15's COMMAND INFO as RESP nodes. */
export interface CommandSpec {
  info: unknown[];
}

let specs: Record<string, CommandSpec> | null = null;

/**
 * The command specs of redis-server 7.0.15 (COMMAND INFO per command, `dist/src/server/
 * redis-commands.json`, ~150 KB), parsed on first use and kept. JSON.parse of the file costs less
 * than compiling the same data as a module (a JSON module is bundled as an object literal).
 */
export function commandSpecs(): Record<string, CommandSpec> {
  if (specs === null) {
    const file = JSON.parse(readFileSync(packageFile('dist/src/server/redis-commands.json'), 'utf8')) as {
      commands: Record<string, CommandSpec>;
    };
    specs = file.commands;
  }
  return specs;
}

/** COMMAND DOCS of redis-server 7.0.15 (`dist/src/server/redis-command-docs.json`, ~170 KB), parsed on each call. */
export function readCommandDocs(): Record<string, unknown> {
  return (JSON.parse(readFileSync(packageFile('dist/src/server/redis-command-docs.json'), 'utf8')) as { docs: Record<string, unknown> })
    .docs;
}
