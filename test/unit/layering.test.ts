/**
 * The layers point down: the folders of src/ form no import cycle, and the bottom layers import
 * nothing above them (protocol, store and config nothing of server/commands/scripting; persistence
 * and replication only the store, config, protocol and each other downwards; server/ reaches the
 * commands only through the CommandTable it is handed). Type-only imports count too.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

/** Top-level folder of a file under src/ ('' for files directly in src/). */
function folderOf(file: string): string {
  const rel = relative(root, file).split('/');
  return rel.length > 1 ? rel[0] : '';
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** folder → folders it imports (relative imports only), with one example file per edge. */
function folderGraph(): Map<string, Map<string, string>> {
  const g = new Map<string, Map<string, string>>();
  for (const file of tsFiles(root)) {
    const from = folderOf(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm)) {
      const target = normalize(join(dirname(file), m[1]));
      let to = folderOf(target);
      // src/errors.ts is the bottom layer's error texts; src/index.ts and src/cli.ts are the top.
      if (to === '' && target.endsWith('errors.js')) to = 'errors';
      if (to === from) continue;
      if (!g.has(from)) g.set(from, new Map());
      g.get(from)?.set(to, relative(root, file));
    }
  }
  return g;
}

test('src/ folders import each other without a cycle', () => {
  const g = folderGraph();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(f)), f];
      const why = cycle.slice(1).map((to, i) => `${cycle[i]} -> ${to} (${g.get(cycle[i])?.get(to)})`);
      assert.fail(`import cycle between folders: ${why.join(', ')}`);
    }
    state.set(f, 'visiting');
    stack.push(f);
    for (const to of g.get(f)?.keys() ?? []) visit(to);
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of g.keys()) visit(f);
});

test('bottom layers import nothing above them', () => {
  const g = folderGraph();
  const allowed: Record<string, string[]> = {
    protocol: ['errors'],
    store: ['errors', 'protocol'],
    config: ['errors', 'protocol'],
    persistence: ['errors', 'protocol', 'store', 'config'],
    replication: ['errors', 'protocol', 'store', 'config', 'persistence'],
    cluster: ['errors', 'protocol', 'store', 'config', 'persistence', 'replication'],
    expire: ['errors', 'store', 'config'],
    evict: ['errors', 'store', 'config'],
  };
  for (const [folder, ok] of Object.entries(allowed)) {
    for (const [to, file] of g.get(folder) ?? []) {
      assert.ok(ok.includes(to), `${folder}/ imports ${to}/ (${file}); it may import only ${ok.join(', ')}`);
    }
  }
  // The server reaches commands and scripting only through what it is handed at start-up.
  for (const [to, file] of g.get('server') ?? []) {
    assert.ok(to !== 'commands' && to !== 'scripting' && to !== '', `server/ imports ${to || 'src/index.ts'} (${file})`);
  }
});
