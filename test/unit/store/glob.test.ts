/**
 * globMatch against Redis's stringmatchlen. The expected values of CASES were produced by a real
 * redis-server 7.0 (KEYS <pattern> on a db holding only the subject), except the empty-subject
 * cases, which follow stringmatchlen's code (an empty string matches no pattern needing a byte).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatch } from '../../../src/store/glob.js';

const CASES: [string, string, boolean][] = [
  ['*', 'anything', true],
  ['*', '', false],
  ['a*', 'a', true],
  ['a*b', 'aXXXb', true],
  ['a*b', 'aXXXc', false],
  ['a**b', 'ab', true],
  ['*a*b*', 'xxaxxbxx', true],
  ['?', 'a', true],
  ['?', '', false],
  ['??', 'a', false],
  ['h?llo', 'hello', true],
  ['h?llo', 'hllo', false],
  ['[abc]', 'b', true],
  ['[abc]', 'd', false],
  ['[^abc]', 'd', true],
  ['[^abc]', 'a', false],
  ['[a-c]', 'b', true],
  ['[c-a]', 'b', true],
  ['[a-c]', 'd', false],
  ['[a-]', '-', false],
  ['[-a]', '-', true],
  ['[]', ']', false],
  ['[]]', ']', false],
  ['[\\]]', ']', true],
  ['[\\-]', '-', true],
  ['[abc', 'a', true],
  ['[abc', 'd', false],
  ['[', '[', false],
  ['[', '', false],
  ['h[', 'h', false],
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['\\?', '?', true],
  ['\\', '\\', true],
  ['a\\', 'a\\', true],
  ['a\\', 'a', false],
  ['\\a', 'a', true],
  ['[^]', 'a', true],
  ['[^', 'a', true],
  ['*[a-z]', '123x', true],
  ['*[a-z]', '1234', false],
  ['*?', 'a', true],
  ['*?', '', false],
  ['a*', 'abc', true],
  ['*c', 'abc', true],
  ['*b*', 'abc', true],
  ['a?c*', 'abcde', true],
  ['HELLO', 'hello', false],
  ['h*o', 'hello', true],
  ['[A-Z]', 'a', false],
  ['*.txt', 'file.txt', true],
  ['*.txt', 'file.txt.bak', false],
];

describe('globMatch', () => {
  it('matches as Redis stringmatchlen', () => {
    for (const [p, s, want] of CASES) assert.equal(globMatch(p, s), want, `${JSON.stringify(p)} vs ${JSON.stringify(s)}`);
  });

  it('nocase folds ASCII letters, also in classes and ranges', () => {
    assert.equal(globMatch('HELLO', 'hello', true), true);
    assert.equal(globMatch('h[A-Z]llo', 'hello', true), true);
    assert.equal(globMatch('h[E]llo', 'hello', true), true);
    assert.equal(globMatch('h[^E]llo', 'hello', true), false);
    assert.equal(globMatch('\\H*', 'hi', true), true);
    assert.equal(globMatch('h[A-Z]llo', 'hello', false), false);
  });

  it('compares range bounds as signed chars, like C', () => {
    assert.equal(globMatch('[\x80-\xff]', '\x90'), true);
    assert.equal(globMatch('[a-\xff]', 'b'), false); // 0xff is -1 as a signed char: range [-1, 97]
    assert.equal(globMatch('[\xe9]', '\xe9'), true);
    assert.equal(globMatch('?', '\u00ff'), true);
  });

  it('is binary safe', () => {
    assert.equal(globMatch('a\0*', 'a\0b'), true);
    assert.equal(globMatch('a?b', 'a\0b'), true);
  });

  it('bounds recursion and prunes pathological patterns', () => {
    const p = '*a'.repeat(1100);
    const s = `${'a'.repeat(1100)}b`;
    assert.equal(globMatch(p, s), false);
    const t0 = performance.now();
    assert.equal(globMatch('a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)), false);
    assert.ok(performance.now() - t0 < 1000);
  });
});
