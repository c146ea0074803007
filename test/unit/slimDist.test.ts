/**
 * scripts/slim-dist.mjs (the build step after tsc): comments go, their newlines stay, `//` inside
 * strings, templates and regexes is code, `//# sourceMappingURL` stays, non-ASCII characters become
 * \uXXXX escapes of the same values; the slimmed code computes what the original did.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { slim } = (await import(pathToFileURL(join(root, 'scripts', 'slim-dist.mjs')).href)) as {
  slim: (text: string, name: string) => string;
};

const SOURCE = [
  '/**',
  ' * A docstring with an arrow → and a dash —.',
  ' */',
  "const a = 'x // not a comment'; // a comment",
  'const r = /\\/\\/ab[—]/; /* a block',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text holds a template literal
  '   comment */ const t = `a // b ${1 + 1} é`;',
  "const u = '→ /* not a comment */';",
  'return [a, r.test("//ab—"), r.test("//ab-"), t, u];',
  '//# sourceMappingURL=x.js.map',
].join('\n');

describe('slim-dist', () => {
  it('removes comments, keeps lines and code, escapes non-ASCII', () => {
    const out = slim(SOURCE, 'x.js');
    assert.equal(out.split('\n').length, SOURCE.split('\n').length);
    assert.doesNotMatch(out, /docstring|a comment$|a block|comment \*\/ const/m);
    assert.match(out, /^\/\/# sourceMappingURL=x\.js\.map$/m);
    assert.match(out, /'x \/\/ not a comment'/);
    assert.match(out, /\/\* not a comment \*\//);
    // One-byte source: V8 keeps it Latin-1.
    assert.match(out, /^[\x00-\x7f]*$/);
    // The same values.
    assert.deepEqual(new Function(out)(), new Function(SOURCE)());
    assert.deepEqual(new Function(out)(), ['x // not a comment', true, false, 'a // b 2 é', '→ /* not a comment */']);
  });
});
