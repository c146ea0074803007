/**
 * Library metadata parsing and naming rules of src/scripting/functions.ts (Redis 7.0 functions.c
 * functionExtractLibMetaData / functionsVerifyName). The error texts were checked against
 * redis-server 7.0.15 with FUNCTION LOAD (test/differential/functions.test.ts compares them live).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractMetadata, verifyName } from '../../../src/scripting/functions.js';

test('metadata line: engine, name, body keeps the newline for line numbers', () => {
  assert.deepEqual(extractMetadata('#!lua name=mylib\nreturn 1'), { engine: 'lua', name: 'mylib', body: '\nreturn 1' });
  assert.deepEqual(extractMetadata('#!LUA NAME=x\n'), { engine: 'LUA', name: 'x', body: '\n' });
  assert.deepEqual(extractMetadata('#!lua   name=a\t\nx'), { engine: 'lua', name: 'a', body: '\nx' });
  assert.deepEqual(extractMetadata('#!lua "name=q q"\n'), { engine: 'lua', name: 'q q', body: '\n' });
});

test('metadata errors', () => {
  assert.deepEqual(extractMetadata('return 1'), { error: 'Missing library metadata' });
  assert.deepEqual(extractMetadata('#!lua name=x'), { error: 'Invalid library metadata' });
  assert.deepEqual(extractMetadata('#!lua "name=x\n'), { error: 'Invalid library metadata' });
  assert.deepEqual(extractMetadata('#!lua\n'), { error: 'Library name was not given' });
  assert.deepEqual(extractMetadata('#!lua name=x foo=bar\n'), { error: 'Invalid metadata value given: foo=bar' });
  assert.deepEqual(extractMetadata('#!lua name=a name=b\n'), {
    error: 'Invalid metadata value, name argument was given multiple times',
  });
});

test('library and function names: letters, digits, underscore, at least one', () => {
  for (const ok of ['a', 'A_1', '_', '123']) assert.equal(verifyName(ok), true, ok);
  for (const bad of ['', 'a-b', 'a b', 'é', 'a.b', 'a\0']) assert.equal(verifyName(bad), false, bad);
});
