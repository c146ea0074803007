#!/usr/bin/env node
/**
 * Build step after tsc and slim-dist: bundles what `import('keydra')` and the bin scripts load into
 * a few files with esbuild (dist/src/bundle/: index.js, cli.js and shared chunks). Node's ES module
 * loader costs about 1 ms of CPU per module (resolve, read, compile, link) and Keydra has ~140, so
 * an embedded server started from tsc's modules spent about half its start-up in the loader; the
 * bundle compiles as a few scripts. The parts loaded on first use stay apart as chunks of their
 * own: dynamic `import()`s (cluster support, cluster forwarding, the metrics server) become split
 * points, and npm packages (the Lua VM, prom-client) stay external, resolved from node_modules.
 * Comments go (esbuild keeps none but legal ones, dropped too) and non-ASCII characters are
 * escaped (`charset: ascii`), as slim-dist does for dist/src (V8 keeps module source in the heap).
 * Whitespace and syntax are minified (identifiers are not: names in stack traces stay), ~1 MB less
 * RSS; a source map chained to the TypeScript sources goes beside each file, so
 * `node --enable-source-maps` gives stack traces in src/ terms.
 * Files read at run time are found from the package root (src/assets), not from import.meta.url,
 * so they resolve the same from a chunk. tsc's modules stay in dist/src: the tests import them.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'dist', 'src');
const outdir = join(src, 'bundle');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { index: join(src, 'index.js'), cli: join(src, 'cli.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: '[name]-[hash]',
  legalComments: 'none',
  charset: 'ascii',
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
