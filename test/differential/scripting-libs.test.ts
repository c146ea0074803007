/**
 * The Lua libraries scripts get (cjson, cmsgpack, bit, struct) against a real redis-server 7.0:
 * the same EVAL scripts on both servers, raw replies compared byte for byte (results, binary
 * packed strings, error replies with their positions).
 */
import { test } from 'node:test';
import { type Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

let d: Differential | null = null;
useDifferential((x) => {
  d = x;
});

/** Returns "ok|result" with non-printable bytes hex-escaped, so errors and values both compare. */
const wrap = (c: string) =>
  `local ok, r = pcall(function() ${c} end) local function hex(s) return (string.gsub(s, '[^%w%p ]', function(ch) return string.format('\\\\x%02x', string.byte(ch)) end)) end return tostring(ok)..'|'..hex(tostring(r))`;

/** Script bodies run inside pcall on both servers. Configuration changes are undone in-script. */
const SCRIPTS: string[] = [
  'return bit.tobit(0xffffffff)',
  'return bit.tobit(2^40+5)',
  "return bit.tobit(1.5)..' '..bit.tobit(2.5)..' '..bit.tobit(-1.5)",
  "return bit.tohex(255)..' '..bit.tohex(-1, -4)..' '..bit.tohex(0x1234abcd, 3)..' '..bit.tohex(1,20)",
  "return bit.bnot(0)..' '..bit.band(0xff, 0x0f, 0x3)..' '..bit.bor(1,2,4,8)..' '..bit.bxor(5,3)",
  "return bit.lshift(1, 31)..' '..bit.rshift(-1, 28)..' '..bit.arshift(-256, 4)..' '..bit.rol(0x12345678, 12)..' '..bit.ror(0x12345678, 12)..' '..bit.bswap(0x12345678)",
  "return bit.tobit('x')",
  'return bit.band()',
  'return bit.lshift(1)',
  "return bit.tobit('12')",
  "return bit.tobit(0/0)..' '..bit.tobit(1/0)",
  'return bit.band(1, {})',
  "return struct.pack('>I2', 258)",
  "return struct.pack('<i4 h b B', -2, -3, -4, 250)",
  "return struct.pack('>l', -1)",
  "return struct.pack('!4 b i4', 1, 2)",
  "return struct.pack('!8 b d', 1, 2.5)",
  "return struct.pack('bxh', 1, 2)",
  "return struct.pack('c5', 'hello world')",
  "return struct.pack('c0s', 'abc', 'def')",
  "return struct.pack('c10', 'abc')",
  "return struct.pack('f', 1.1)",
  "return struct.pack('>d', -0.0)",
  "return struct.pack('i16', -1)",
  "return struct.pack('I16', 2^60)",
  "return struct.pack('i33', 1)",
  "return struct.pack('!3 i4', 1)",
  "return struct.pack('z', 1)",
  "return struct.pack('i', 'x')",
  "return struct.pack('i')",
  "return table.concat({struct.unpack('>I2 i4', '\\1\\2\\255\\255\\255\\254')}, ',')",
  "return table.concat({struct.unpack('<h H', '\\255\\255\\255\\255')}, ',')",
  "return table.concat({struct.unpack('b c0', '\\3abcdef')}, ',')",
  "return table.concat({struct.unpack('s s', 'ab\\0cd\\0')}, ',')",
  "return table.concat({struct.unpack('s', 'abcd')}, ',')",
  "return table.concat({struct.unpack('i4', 'abc')}, ',')",
  "return table.concat({struct.unpack('c0', 'abc')}, ',')",
  "return table.concat({struct.unpack('i2', 'abcdef', 3)}, ',')",
  "return table.concat({struct.unpack('i2', 'abcdef', 0)}, ',')",
  "return table.concat({struct.unpack('i2', 'abcdef', -1)}, ',')",
  "return table.concat({struct.unpack('>i16', string.rep('\\255', 16))}, ',')",
  "return table.concat({struct.unpack('>I9', string.rep('\\255', 9))}, ',')",
  "return table.concat({struct.unpack('<I8', string.rep('\\255', 8))}, ',')",
  "return table.concat({struct.unpack('<l', string.rep('\\255', 7)..'\\127')}, ',')",
  "return table.concat({struct.unpack('!4 b i4', '\\1\\0\\0\\0\\2\\0\\0\\0')}, ',')",
  "return table.concat({struct.unpack('f d', struct.pack('f d', 1.5, 1/3))}, ',')",
  "return struct.size('i h b !4 i d')",
  "return struct.size('s')",
  "return struct.size('c0')",
  "return struct.size('z')",
  "return struct.size('<>!2 i q')",
  "return struct.pack('i99999999999', 1)",
  "return struct.pack('!5', 1)",
  "return struct.pack('>i3', 0x123456)",
  "return table.concat({struct.unpack('>i3', '\\255\\0\\1')}, ',')",
  "return struct.pack('I', -1)",
  "return struct.pack('i', 2^40)",
  "return struct.pack('b', 300)",
  "return struct.pack('L', 2^64)",
  "return struct.pack('T', 5)",
  "return table.concat({struct.unpack('x b', '\\0\\9')}, ',')",
  "return table.concat({struct.unpack('c2 c0', '\\5\\0abc')}, ',')",
  "return struct.pack('i\\0z', 1)",
  "return table.concat({struct.unpack('b', '12', 2)}, ',')",
  'return struct.pack()',
  "return struct.unpack('b')",
  "return struct.unpack('b', 'x', 'y')",
  "return struct.pack('d', 1/0)",
  "return struct.pack('f', 1e300)",
  "return struct.pack('i', 0/0)",
  'return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)',
  'return cmsgpack.pack(2^53, -2^53, 2^63, -2^63, 2^64, 1.5, 0.1, 1/3, -0.0, 1/0, -1/0)',
  'return cmsgpack.pack(0/0)',
  "return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('x', 32), string.rep('y', 255), string.rep('z', 256))",
  "return #cmsgpack.pack(string.rep('z', 65535))..' '..#cmsgpack.pack(string.rep('z', 65536))..' '..cmsgpack.pack(string.rep('z', 65536)):sub(1,6)",
  'return cmsgpack.pack({1,2,3}, {}, {a=1}, {1,2,nil,4}, {[1]=1,[2]=2,[4]=4}, {[0]=1})',
  'return cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16})',
  'return cmsgpack.pack({a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16})',
  'return cmsgpack.pack({x={y={z={1,2}}}, [1.5]=true, [true]=false})',
  'return cmsgpack.pack()',
  'local t = {} t[1] = t return cmsgpack.pack(t)',
  'return cmsgpack.pack({[2^31]=1})',
  'return cmsgpack.pack({[2^31-1]=1})',
  "return table.concat({cmsgpack.unpack(cmsgpack.pack(1, 2, 'x', 1.5, -7))}, ',')",
  "local t = cmsgpack.unpack(cmsgpack.pack({a={1,2,{b='c'}}})) return t.a[3].b",
  "return cmsgpack.unpack('\\205')",
  "return cmsgpack.unpack('\\193')",
  "return cmsgpack.unpack('')",
  "return tostring(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))..' '..tostring(cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0'))..' '..tostring(cmsgpack.unpack('\\207\\128\\0\\0\\0\\0\\0\\0\\1'))",
  "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}, ',')",
  "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}, ',')",
  "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}, ',')",
  "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}, ',')",
  "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)}, ',')",
  "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)}, ',')",
  "return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}, ',')",
  "return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}, ',')",
  "return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}, ',')",
  "return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)}, ',')",
  "return cmsgpack.unpack_limit('x')",
  'return cmsgpack.unpack({})',
  "return tostring(cmsgpack.unpack('\\202\\127\\128\\0\\0'))..' '..tostring(cmsgpack.unpack('\\203\\0\\0\\0\\0\\0\\0\\0\\1'))",
  "return table.concat({cmsgpack.unpack('\\147\\1\\2')}, ',')",
  "return #cmsgpack.unpack('\\220\\0\\3\\1\\2\\3')..' '..cmsgpack.unpack('\\222\\0\\1\\161a\\161b').a",
  "return cmsgpack.unpack('\\145\\193')",
  'return cmsgpack.pack(123456789012)',
  "return cmsgpack.pack('\\0\\1\\255')",
  "local s='' for i=1,40 do s = s..cmsgpack.pack(i) end return select('#', cmsgpack.unpack(s))",
  "local t = {} for i=1,20 do t['k'..i] = i end return cmsgpack.pack(t)",
  'local t = {} for i=1,100 do t[i] = i * 1.5 end return cmsgpack.pack(t)',
  'local t = {10,20,30} t.x = 1 return cmsgpack.pack(t)',
  'return cmsgpack.pack({[1]=1, [3]=3})',
  'return cmsgpack.pack(setmetatable({}, {__index=function(t,k) return k*2 end}))',
  'return cjson.encode({1,2,3})',
  "return cjson.encode({a=1,b='x',c={true,false}})",
  "return cjson.encode('a/b\"c\\\\d\\n\\t\\1\\127\\200\\255')",
  "return cjson.encode(1/3)..' '..cjson.encode(1e20)..' '..cjson.encode(1e-5)..' '..cjson.encode(123456789012345678)..' '..cjson.encode(-0.0)..' '..cjson.encode(0.1)..' '..cjson.encode(100)",
  'return cjson.encode(1/0)',
  'return cjson.encode(0/0)',
  'return cjson.encode({[1]=1,[2]=2,[100]=3})',
  'return cjson.encode({[1]=1,[2]=2,[10]=3})',
  'return cjson.encode({[1]=1,[2]=2,[11]=3})',
  'return cjson.encode({})',
  'return cjson.encode({[1.5]=1})',
  'return cjson.encode({[true]=1})',
  'return cjson.encode(cjson.null)..cjson.encode(nil)',
  'return cjson.encode()',
  'return cjson.encode(1, 2)',
  'local t = {} t[1] = t return cjson.encode(t)',
  "local t = {} for i=1,20 do t['k'..i] = i end return cjson.encode(t)",
  'local t = {10,20,30} t.x = 1 return cjson.encode(t)',
  'return cjson.encode({[-1]=1})',
  'return cjson.encode({[2^40]=1})',
  'return cjson.encode({[0]=1})',
  "return cjson.encode(100000000000000.5)..' '..cjson.encode(2^53)..' '..cjson.encode(5e-324)..' '..cjson.encode(1.7976931348623157e308)",
  "return cjson.encode(0.5)..' '..cjson.encode(1.25)..' '..cjson.encode(123456.789e3)..' '..cjson.encode(1e14)..' '..cjson.encode(1e15)..' '..cjson.encode(0.0001)..' '..cjson.encode(0.00001)",
  'local d = cjson.decode(\'[1,2,{"a":"b"}]\') return d[3].a..#d',
  'local d = cjson.decode(\'{"a":null}\') return tostring(d.a == cjson.null)',
  'return cjson.decode(\'"\\\\u00e9\\\\u20ac\\\\ud83d\\\\ude00\\\\/\\\\b\\\\f"\')',
  'return cjson.decode(\'"\\\\ud83d"\')',
  'return cjson.decode(\'"\\\\ude00"\')',
  'return cjson.decode(\'"\\\\x"\')',
  "return cjson.decode('\"abc')",
  "return cjson.decode('')",
  "return cjson.decode('[1,2')",
  "return cjson.decode('[1 2]')",
  'return cjson.decode(\'{"a" 1}\')',
  "return cjson.decode('{1:1}')",
  'return cjson.decode(\'{"a":1,}\')',
  "return cjson.decode('nil')",
  "return cjson.decode('[1]x')",
  "return cjson.decode('truex')",
  "return tostring(cjson.decode('0x10'))..' '..tostring(cjson.decode('-inf'))..' '..tostring(cjson.decode('1e400'))..' '..tostring(cjson.decode('+5'))..' '..tostring(cjson.decode('007'))..' '..tostring(cjson.decode('Infinity'))",
  "return tostring(cjson.decode('nan'))",
  "return tostring(cjson.decode('-'))",
  "return tostring(cjson.decode('1.5e'))..' '..tostring(cjson.decode(' \\n 42 '))",
  "return cjson.decode('\\0a')",
  "return cjson.decode('1\\0garbage')",
  "return cjson.decode(string.rep('[', 1001))",
  "return cjson.decode(string.rep('[', 5))",
  "return #cjson.decode(string.rep('[', 1000)..string.rep(']', 1000))",
  'return cjson.decode(\'"a\\0b"\')',
  'return cjson.decode({})',
  'return cjson.decode()',
  'return cjson._NAME..cjson._VERSION',
  'return cjson.encode({cjson.null, 1})',
  'return cjson.encode({["1"]=1,[1]=2})',
  'return cjson.encode({[1]=1, ["a"]=2})',
  'return cjson.encode(setmetatable({}, {__index=function() return 1 end}))',
  'return cjson.encode({[1e300]=1})',
  'return cjson.encode({{},{},{{}}})',
  "return cjson.encode('\\226\\130\\172')",
  'return cjson.decode(\'"\\\\u0000"\')',
  "return cjson.decode('[]')..''",
  "local t={} for k in pairs(cjson) do t[#t+1]=k end return table.concat(t,',')",
  "local t={} for k in pairs(cmsgpack) do t[#t+1]=k end return table.concat(t,',')",
  "local t={} for k in pairs(bit) do t[#t+1]=k end return table.concat(t,',')",
  "local t={} for k in pairs(struct) do t[#t+1]=k end return table.concat(t,',')",
  'return cjson.encode(cjson.decode(\'{"b":1,"a":2,"c":3,"zz":[1,{"q":1,"p":2}],"x":null}\'))',
  'return cjson.encode(cmsgpack.unpack(cmsgpack.pack(cjson.decode(\'{"b":1,"a":2,"c":3,"zz":[1,{"q":1,"p":2}],"x":{"k":true}}\'))))',
  "local t = {} for i = 1, 50 do t['key' .. i] = i; t[i * 7] = 'v' .. i end return cmsgpack.pack(t)",
  "local r = {tostring(cjson.encode_sparse_array())} cjson.encode_sparse_array(true, 3, 4) r[2] = cjson.encode({[1]=1,[20]=2}) cjson.encode_sparse_array(false, 2, 10) return table.concat(r, ' ')",
  "return cjson.encode_sparse_array('on')",
  "return cjson.encode_sparse_array('x')",
  'return cjson.encode_sparse_array(true, -1)',
  "local a = cjson.encode_max_depth(2) local ok, e = pcall(cjson.encode, {{{1}}}) cjson.encode_max_depth(1000) return a..' '..e",
  'return cjson.encode_max_depth(0)',
  "local a = cjson.encode_number_precision(3) local s = cjson.encode(3.14159) cjson.encode_number_precision(14) return a..' '..s",
  'return cjson.encode_number_precision(15)',
  'local a = tostring(cjson.encode_invalid_numbers(true)) local s = cjson.encode(1/0)..cjson.encode(0/0)..cjson.encode(-1/0) cjson.encode_invalid_numbers(false) return a..s',
  "local a = tostring(cjson.encode_invalid_numbers('null')) local s = cjson.encode(1/0)..cjson.encode({0/0}) cjson.encode_invalid_numbers('off') return a..s",
  "local a = tostring(cjson.decode_invalid_numbers(false)) local ok, e = pcall(cjson.decode, '0x10') cjson.decode_invalid_numbers(true) return a..' '..e",
  "local a = tostring(cjson.decode_invalid_numbers(false)) local ok, e = pcall(cjson.decode, 'inf') cjson.decode_invalid_numbers(true) return a..' '..e",
  'local a = tostring(cjson.encode_keep_buffer(false)) local b = tostring(cjson.encode_keep_buffer()) cjson.encode_keep_buffer(true) return a..b',
  'return cjson.encode_keep_buffer(1)',
  'return cjson.encode_max_depth(1, 2)',
  "local a = cjson.decode_max_depth(2) local ok, e = pcall(cjson.decode, '[[[1]]]') cjson.decode_max_depth(1000) return a..' '..e",
  "return cjson.decode_max_depth('x')",
  'local c = cjson.new() c.encode_number_precision(2) return c.encode(3.14159)..cjson.encode(3.14159)',
];

test('library functions: results and error messages (inside pcall)', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  for (const s of SCRIPTS) await d.same(['EVAL', wrap(s), '0']);
});

test('library values and errors as EVAL replies', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await d.same(
    ['EVAL', "return cmsgpack.pack({1,2,{a=1}}, 'x', 1.5, -2^40, {[1]=true,[3]=false})", '0'],
    ['EVAL', "return cjson.encode({a={1,2,3},b='x/y',c={d={}}})", '0'],
    ['EVAL', 'return cjson.decode(ARGV[1]).a', '0', '{"a":5.9}'],
    ['EVAL', 'return cjson.decode(ARGV[1])', '0', '[1,"two",[3.5],{"x":null},true,false,null,4]'],
    ['EVAL', "return cjson.decode('x')", '0'],
    ['EVAL', 'return cjson.encode({[true]=1})', '0'],
    ['EVAL', "return cmsgpack.unpack('\\193')", '0'],
    ['EVAL', "return cmsgpack.unpack('\\205')", '0'],
    ['EVAL', 'return cmsgpack.pack()', '0'],
    ['EVAL', "return struct.pack('z', 1)", '0'],
    ['EVAL', "return struct.pack('>I4 h c3', 7, -2, 'abc')", '0'],
    ['EVAL', "return {struct.unpack('>I4 h c3', ARGV[1])}", '0', '\x00\x00\x00\x07\xff\xfeabc'],
    ['EVAL', "return bit.tobit('x')", '0'],
    ['EVAL', 'return {bit.band(ARGV[1], 0xff), bit.tohex(ARGV[1]), bit.bnot(0)}', '0', '4660'],
    ['EVAL', 'return {cmsgpack.unpack(ARGV[1])}', '0', Buffer.from([0x93, 1, 2, 3, 0xa1, 0x78, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0])],
    ['EVAL', 'return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))', '0', Buffer.from([0x82, 0xa1, 0x61, 1, 0xa1, 0x62, 0x92, 0xc3, 0xc0])],
  );
});

test('deep nesting fails on the Lua stack limit exactly as in C', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const unpack = (prefix: string) =>
    `local s = string.rep(${prefix}, tonumber(ARGV[1])) .. string.char(1) local ok, e = pcall(cmsgpack.unpack, s) return tostring(ok) .. ' ' .. tostring(type(e) == 'table' and 'table' or e)`;
  for (const n of ['3000', '9000', '100000']) {
    await d.same(['EVAL', unpack('string.char(0x91)'), '0', n], ['EVAL', unpack('string.char(0x81, 0xa1, 0x61)'), '0', n]);
  }
  await d.same(
    [
      'EVAL',
      "cjson.decode_max_depth(100000) local ok, e = pcall(cjson.decode, string.rep('[', 50000)) local ok2, e2 = pcall(cjson.decode, string.rep('{\"a\":', 50000)) cjson.decode_max_depth(1000) return tostring(ok) .. ' ' .. e .. ' ' .. e2",
      '0',
    ],
    [
      'EVAL',
      'cjson.encode_max_depth(100000) local t = {} t[1] = t local ok, e = pcall(cjson.encode, t) local u = {} u.x = u local ok2, e2 = pcall(cjson.encode, u) cjson.encode_max_depth(1000) return tostring(ok) .. " " .. e .. " " .. e2',
      '0',
    ],
    ['EVAL', 'local t = {} local c = t for i = 1, 900 do c[1] = {} c = c[1] end return cjson.encode(cjson.decode(cjson.encode(t)))', '0'],
  );
});

test('cjson and cmsgpack round trips of argument data', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const docs = [
    '{"name":"job","data":{"n":[1,2,3],"s":"a\\u00e9\\ud83d\\ude00","neg":-0.5,"big":12345678901234567890},"opts":{"attempts":3,"delay":0}}',
    '[[],[[]],{},{"":""},"\\"\\\\\\/\\b\\f\\n\\r\\t",1e-7,1E+300,-0]',
    '{"a":[1,{"b":[2,{"c":[3]}]}],"z":true,"y":false,"x":null}',
  ];
  for (const doc of docs) {
    await d.same(
      ['EVAL', 'return cjson.encode(cjson.decode(ARGV[1]))', '0', doc],
      ['EVAL', 'return cmsgpack.pack(cjson.decode(ARGV[1]))', '0', doc],
      ['EVAL', 'return cjson.encode(cmsgpack.unpack(cmsgpack.pack(cjson.decode(ARGV[1]))))', '0', doc],
    );
  }
});

/** A seeded LCG so the generated cases are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

test('generated JSON documents, msgpack byte strings and struct formats', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const rnd = lcg(4242);
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  const scalar = (): string =>
    pick([
      () => String(Math.floor((rnd() - 0.5) * 2 ** (rnd() * 64))),
      () => ((rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20)).toString(),
      () => (rnd() * 100).toExponential(Math.floor(rnd() * 17)),
      () => `"s${Math.floor(rnd() * 1e6)}${pick(['', '/', '\\u00e9', '\\ud83d\\ude00', '\\n', 'é', '\x7f'])}"`,
      () => pick(['true', 'false', 'null', '-0', '1E-5', '123456789012345678901234567890']),
    ])();
  const gen = (depth: number): string => {
    const r = rnd();
    if (depth > 4 || r < 0.35) return scalar();
    if (r < 0.65) return `[${Array.from({ length: Math.floor(rnd() * 6) }, () => gen(depth + 1)).join(',')}]`;
    return `{${Array.from({ length: Math.floor(rnd() * 6) }, (_, i) => `"${pick(['a', 'key', '1', ''])}${i}":${gen(depth + 1)}`).join(',')}}`;
  };
  const jsonScript = wrap(
    'local v = cjson.decode(ARGV[1]) return cjson.encode(v) .. " " .. cmsgpack.pack(v) .. " " .. cjson.encode(cmsgpack.unpack(cmsgpack.pack(v)))',
  );
  for (let i = 0; i < 200; i++) await d.same(['EVAL', jsonScript, '0', Buffer.from(gen(0), 'utf8')]);
  // Random bytes biased towards msgpack type bytes: decode, then re-encode.
  const mpScript = wrap('local t = {cmsgpack.unpack(ARGV[1])} return cjson.encode(t) .. " " .. cmsgpack.pack(t)');
  const types = [0x90, 0x80, 0xa1, 0xc0, 0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcd, 0xd0, 0xd9, 0xdc, 0xde, 0x01, 0x7f, 0xff];
  for (let i = 0; i < 200; i++) {
    const b = Buffer.from(Array.from({ length: Math.floor(rnd() * 30) }, () => (rnd() < 0.5 ? Math.floor(rnd() * 256) : pick(types))));
    await d.same(['EVAL', mpScript, '0', b]);
  }
  // struct: random formats against random data and numbers.
  for (let i = 0; i < 200; i++) {
    let fmt = '';
    for (let j = 1 + Math.floor(rnd() * 6); j > 0; j--) {
      fmt += pick([...'<>!bBhHlLTiIcsfdx bBhHiIlL']);
      if (rnd() < 0.3) fmt += String(Math.floor(rnd() * 20));
    }
    const data = Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, () => (rnd() < 0.3 ? 0 : Math.floor(rnd() * 256))));
    const nums = Array.from({ length: 6 }, () =>
      rnd() < 0.5 ? String(Math.floor((rnd() - 0.5) * 2 ** (rnd() * 70))) : (rnd() * 1000 - 500).toFixed(3),
    );
    const s = wrap(
      `local t = {pcall(struct.unpack, ARGV[1], ARGV[2])} local p = {pcall(struct.pack, ARGV[1], ${nums.join(',')})} local z = {pcall(struct.size, ARGV[1])} for i=1,#t do t[i]=tostring(t[i]) end for i=1,#p do p[i]=tostring(p[i]) end for i=1,#z do z[i]=tostring(z[i]) end return table.concat(t, ',') .. ' | ' .. table.concat(p, ',') .. ' | ' .. table.concat(z, ',')`,
    );
    await d.same(['EVAL', s, '0', fmt, data]);
  }
});

test('string.format prints integers as the 64-bit Redis build does (generated formats and values)', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const fixed = [
    "return string.format('%d|%x|%X|%o|%u', 2^40, 2^33, 2^33+255, 2^40, 2^35)",
    "return table.concat({string.format('%x', 0/0), string.format('%x', 2^64), string.format('%x', -1), string.format('%u', -1), string.format('%d', 2^63), string.format('%d', -2^63-5000), string.format('%o', -8)}, ',')",
    "return string.format('%+d|% d|%020d|%-25d|%.13d|%25.13d|%025.13d|%.0d|', 2^40, 2^40, -2^40, -2^40, 2^40, 2^40, 2^40, 2^40)",
    "return string.format('%#x|%#o|%#X|%#20x|%-#20X|%#.20o', 2^40, 2^40, 2^40, 2^40, 2^40, 2^40)",
    "return string.format('%s %d %5.2f %q %c %g', 'x', 2^40, 1/3, 'a\\nb', 65, 1e300)",
    "return string.format('%d %d', 2^40)",
    "return string.format('%d %y', 2^40, 1)",
    "return string.format('%------d', 1)",
    "return string.format('%123d', 1)",
    "return string.format('%d', 'x')",
    "return ('%d'):format(2^45)",
  ];
  for (const s of fixed) await d.same(['EVAL', wrap(s), '0']);
  const rnd = lcg(31337);
  const pick = <T>(a: T[] | string): T => a[Math.floor(rnd() * a.length)] as T;
  for (let i = 0; i < 300; i++) {
    let fmt = '';
    const args: string[] = [];
    for (let j = 1 + Math.floor(rnd() * 3); j > 0; j--) {
      fmt += pick(['', 'a', ' ', '%%']);
      let spec = '%';
      for (let k = Math.floor(rnd() * 3); k > 0; k--) spec += pick<string>('-+ #0');
      if (rnd() < 0.4) spec += String(Math.floor(rnd() * 30));
      if (rnd() < 0.3) spec += `.${Math.floor(rnd() * 25)}`;
      spec += pick<string>('diouxXdxcsgf');
      fmt += spec;
      const r = rnd();
      args.push(
        r < 0.3
          ? String(Math.floor((rnd() - 0.5) * 2 ** (rnd() * 70)))
          : r < 0.5
            ? ((rnd() - 0.5) * 2 ** (rnd() * 70)).toString()
            : r < 0.6
              ? '0/0'
              : r < 0.8
                ? `'${Math.floor(rnd() * 1e12)}'`
                : String(Math.floor(rnd() * 2 ** 31)),
      );
    }
    await d.same(['EVAL', wrap(`return string.format(${JSON.stringify(fmt)}, ${args.join(', ')})`), '0']);
  }
});
