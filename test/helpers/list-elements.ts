/**
 * List elements at the boundaries of the listpack format (Redis 7.0 listpack.c), for tests of the
 * list's RDB codec and AOF rewrite: empty; integers at each integer encoding's limits (7-bit
 * unsigned, 13, 16, 24, 32 and 64 bits) and just past them; near-integers that must stay strings
 * ("-0", leading zeros, signs, spaces, beyond int64); binary bytes; strings at the 6-bit length
 * limit (63/64 bytes) and the 1/2-byte backlen limit (125/126), and Keydra's own 1/4-byte length
 * field limit (254/255).
 */
export const LIST_EDGES: readonly string[] = [
  '',
  '0',
  '-0',
  '00',
  '01',
  '-',
  '+1',
  ' 1',
  '1 ',
  '1e3',
  '127',
  '128',
  '-1',
  '4095',
  '4096',
  '-4096',
  '-4097',
  '32767',
  '32768',
  '-32768',
  '-32769',
  '8388607',
  '8388608',
  '-8388608',
  '-8388609',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '4294967296',
  '-4294967297',
  '123456789012345',
  '-999999999999999',
  '1000000000000000',
  '1234567890123456',
  '9007199254740993',
  '-9007199254740993',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '-9223372036854775809',
  '10000000000000000000',
  '18446744073709551616',
  '\x00',
  '\xff\x00\xff',
  'a'.repeat(63),
  'b'.repeat(64),
  'c'.repeat(125),
  'd'.repeat(126),
  'e'.repeat(254),
  'f'.repeat(255),
];

/** Long elements at the 12/32-bit string length and 2/3-byte backlen limits (4095/4096, 16378/16379 bytes). */
export const LIST_LONG_EDGES: readonly string[] = ['g'.repeat(4095), 'h'.repeat(4096), 'i'.repeat(16378), 'j'.repeat(16379)];
