/**
 * The Lua libraries Redis preloads (cjson, cmsgpack, bit, struct), driven directly through LuaVM.
 * Each case runs `code` inside pcall in a fresh state and compares "ok|result" (non-printable
 * bytes hex-escaped) with what redis-server 7.0.15 returned for the same script (recorded with
 * redis-cli EVAL; the differential test checks the same against a live server).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openRedisLibs } from '../../../src/scripting/libs/index.js';
import { formatG, strtod } from '../../../src/scripting/libs/cnum.js';
import { LuaVM } from '../../../src/scripting/lua.js';
import { rng as seeded } from '../../helpers/random.js';

/** Integers in [lo, hi] from a seeded PRNG. */
class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seeded(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

const vmP = LuaVM.load();

/** Runs a chunk in a fresh state with the libraries; @returns its string result or "ERR <msg>". */
async function run(code: string): Promise<string> {
  const vm = await vmP;
  const L = vm.newState();
  vm.m._luaL_openlibs(L);
  openRedisLibs(vm, L);
  try {
    if (vm.loadBuffer(L, code, '=user_script') !== 0) return `LOADERR ${vm.toString(L, -1)}`;
    if (vm.m._lua_pcall(L, 0, 1, 0) !== 0) return `ERR ${vm.toString(L, -1)}`;
    return vm.toString(L, -1) ?? 'nil';
  } finally {
    vm.m._lua_close(L);
  }
}

/** The same wrapper the expectations were recorded with. */
const wrap = (c: string) =>
  `local ok, r = pcall(function() ${c} end) local function hex(s) return (string.gsub(s, '[^%w%p ]', function(ch) return string.format('\\\\x%02x', string.byte(ch)) end)) end return tostring(ok)..'|'..hex(tostring(r))`;

/** [script body, what redis-server 7.0.15 returned]. */
const CASES: Array<[string, string]> = [
  ['return bit.tobit(0xffffffff)', 'true|-1'],
  ['return bit.tobit(2^40+5)', 'true|5'],
  ["return bit.tobit(1.5)..' '..bit.tobit(2.5)..' '..bit.tobit(-1.5)", 'true|2 2 -2'],
  ["return bit.tohex(255)..' '..bit.tohex(-1, -4)..' '..bit.tohex(0x1234abcd, 3)..' '..bit.tohex(1,20)", 'true|000000ff FFFF bcd 00000001'],
  ["return bit.bnot(0)..' '..bit.band(0xff, 0x0f, 0x3)..' '..bit.bor(1,2,4,8)..' '..bit.bxor(5,3)", 'true|-1 3 15 6'],
  [
    "return bit.lshift(1, 31)..' '..bit.rshift(-1, 28)..' '..bit.arshift(-256, 4)..' '..bit.rol(0x12345678, 12)..' '..bit.ror(0x12345678, 12)..' '..bit.bswap(0x12345678)",
    'true|-2147483648 15 -16 1164411171 1736516421 2018915346',
  ],
  ["return bit.tobit('x')", "false|user_script:1: bad argument #1 to 'tobit' (number expected, got string)"],
  ['return bit.band()', "false|user_script:1: bad argument #1 to 'band' (number expected, got no value)"],
  ['return bit.lshift(1)', "false|user_script:1: bad argument #2 to 'lshift' (number expected, got no value)"],
  ["return bit.tobit('12')", 'true|12'],
  ["return bit.tobit(0/0)..' '..bit.tobit(1/0)", 'true|0 0'],
  ['return bit.band(1, {})', "false|user_script:1: bad argument #2 to 'band' (number expected, got table)"],
  ["return struct.pack('>I2', 258)", 'true|\\x01\\x02'],
  ["return struct.pack('<i4 h b B', -2, -3, -4, 250)", 'true|\\xfe\\xff\\xff\\xff\\xfd\\xff\\xfc\\xfa'],
  ["return struct.pack('>l', -1)", 'true|\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff'],
  ["return struct.pack('!4 b i4', 1, 2)", 'true|\\x01\\x00\\x00\\x00\\x02\\x00\\x00\\x00'],
  ["return struct.pack('!8 b d', 1, 2.5)", 'true|\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x04@'],
  ["return struct.pack('bxh', 1, 2)", 'true|\\x01\\x00\\x02\\x00'],
  ["return struct.pack('c5', 'hello world')", 'true|hello'],
  ["return struct.pack('c0s', 'abc', 'def')", 'true|abcdef\\x00'],
  ["return struct.pack('c10', 'abc')", "false|user_script:1: bad argument #3 to 'pack' (string too short)"],
  ["return struct.pack('f', 1.1)", 'true|\\xcd\\xcc\\x8c?'],
  ["return struct.pack('>d', -0.0)", 'true|\\x80\\x00\\x00\\x00\\x00\\x00\\x00\\x00'],
  ["return struct.pack('i16', -1)", 'true|\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'],
  ["return struct.pack('I16', 2^60)", 'true|\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'],
  ["return struct.pack('i33', 1)", 'false|user_script:1: integral size 33 is larger than limit of 32'],
  ["return struct.pack('!3 i4', 1)", 'false|user_script:1: alignment 3 is not a power of 2'],
  ["return struct.pack('z', 1)", "false|user_script:1: bad argument #1 to 'pack' (invalid format option 'z')"],
  ["return struct.pack('i', 'x')", "false|user_script:1: bad argument #2 to 'pack' (number expected, got string)"],
  ["return struct.pack('i')", "false|user_script:1: bad argument #2 to 'pack' (number expected, got nil)"],
  ["return table.concat({struct.unpack('>I2 i4', '\\1\\2\\255\\255\\255\\254')}, ',')", 'true|258,-2,7'],
  ["return table.concat({struct.unpack('<h H', '\\255\\255\\255\\255')}, ',')", 'true|-1,65535,5'],
  ["return table.concat({struct.unpack('b c0', '\\3abcdef')}, ',')", 'true|abc,5'],
  ["return table.concat({struct.unpack('s s', 'ab\\0cd\\0')}, ',')", 'true|ab,cd,7'],
  ["return table.concat({struct.unpack('s', 'abcd')}, ',')", 'false|user_script:1: unfinished string in data'],
  ["return table.concat({struct.unpack('i4', 'abc')}, ',')", "false|user_script:1: bad argument #2 to 'unpack' (data string too short)"],
  ["return table.concat({struct.unpack('c0', 'abc')}, ',')", "false|user_script:1: format 'c0' needs a previous size"],
  ["return table.concat({struct.unpack('i2', 'abcdef', 3)}, ',')", 'true|25699,5'],
  [
    "return table.concat({struct.unpack('i2', 'abcdef', 0)}, ',')",
    "false|user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)",
  ],
  [
    "return table.concat({struct.unpack('i2', 'abcdef', -1)}, ',')",
    "false|user_script:1: bad argument #2 to 'unpack' (data string too short)",
  ],
  ["return table.concat({struct.unpack('>i16', string.rep('\\255', 16))}, ',')", 'true|-1,17'],
  ["return table.concat({struct.unpack('>I9', string.rep('\\255', 9))}, ',')", 'true|1.844674407371e+19,10'],
  ["return table.concat({struct.unpack('<I8', string.rep('\\255', 8))}, ',')", 'true|1.844674407371e+19,9'],
  ["return table.concat({struct.unpack('<l', string.rep('\\255', 7)..'\\127')}, ',')", 'true|9.2233720368548e+18,9'],
  ["return table.concat({struct.unpack('!4 b i4', '\\1\\0\\0\\0\\2\\0\\0\\0')}, ',')", 'true|1,2,9'],
  ["return table.concat({struct.unpack('f d', struct.pack('f d', 1.5, 1/3))}, ',')", 'true|1.5,0.33333333333333,13'],
  ["return struct.size('i h b !4 i d')", 'true|20'],
  ["return struct.size('s')", "false|user_script:1: bad argument #1 to 'size' (option 's' has no fixed size)"],
  ["return struct.size('c0')", "false|user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size)"],
  ["return struct.size('z')", 'true|0'],
  ["return struct.size('<>!2 i q')", 'true|4'],
  ["return struct.pack('i99999999999', 1)", 'false|user_script:1: integral size overflow'],
  ["return struct.pack('!5', 1)", 'false|user_script:1: alignment 5 is not a power of 2'],
  ["return struct.pack('>i3', 0x123456)", 'true|\\x124V'],
  ["return table.concat({struct.unpack('>i3', '\\255\\0\\1')}, ',')", 'true|-65535,4'],
  ["return struct.pack('I', -1)", 'true|\\xff\\xff\\xff\\xff'],
  ["return struct.pack('i', 2^40)", 'true|\\x00\\x00\\x00\\x00'],
  ["return struct.pack('b', 300)", 'true|,'],
  ["return struct.pack('L', 2^64)", 'true|\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'],
  ["return struct.pack('T', 5)", 'true|\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00'],
  ["return table.concat({struct.unpack('x b', '\\0\\9')}, ',')", 'true|9,3'],
  ["return table.concat({struct.unpack('c2 c0', '\\5\\0abc')}, ',')", "false|user_script:1: format 'c0' needs a previous size"],
  ["return struct.pack('i\\0z', 1)", 'true|\\x01\\x00\\x00\\x00'],
  ["return table.concat({struct.unpack('b', '12', 2)}, ',')", 'true|50,3'],
  ['return struct.pack()', "false|user_script:1: bad argument #1 to 'pack' (string expected, got no value)"],
  ["return struct.unpack('b')", "false|user_script:1: bad argument #2 to 'unpack' (string expected, got no value)"],
  ["return struct.unpack('b', 'x', 'y')", "false|user_script:1: bad argument #3 to 'unpack' (number expected, got string)"],
  ["return struct.pack('d', 1/0)", 'true|\\x00\\x00\\x00\\x00\\x00\\x00\\xf0\\x7f'],
  ["return struct.pack('f', 1e300)", 'true|\\x00\\x00\\x80\\x7f'],
  ["return struct.pack('i', 0/0)", 'true|\\x00\\x00\\x00\\x00'],
  [
    'return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)',
    'true|\\x01\\xff\\x7f\\xcc\\x80\\xcc\\xff\\xcd\\x01\\x00\\xcd\\xff\\xff\\xce\\x00\\x01\\x00\\x00\\xce\\xff\\xff\\xff\\xff\\xcf\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\xe0\\xd0\\xdf\\xd0\\x80\\xd1\\xff\\x7f\\xd1\\x80\\x00\\xd2\\xff\\xff\\x7f\\xff\\xd2\\x80\\x00\\x00\\x00\\xd3\\xff\\xff\\xff\\xff\\x7f\\xff\\xff\\xff',
  ],
  [
    'return cmsgpack.pack(2^53, -2^53, 2^63, -2^63, 2^64, 1.5, 0.1, 1/3, -0.0, 1/0, -1/0)',
    'true|\\xcf\\x00 \\x00\\x00\\x00\\x00\\x00\\x00\\xd3\\xff\\xe0\\x00\\x00\\x00\\x00\\x00\\x00\\xca_\\x00\\x00\\x00\\xd3\\x80\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xca_\\x80\\x00\\x00\\xca?\\xc0\\x00\\x00\\xcb?\\xb9\\x99\\x99\\x99\\x99\\x99\\x9a\\xcb?\\xd5UUUUUU\\x00\\xca\\xff\\x80\\x00\\x00\\xca\\x7f\\x80\\x00\\x00',
  ],
  ['return cmsgpack.pack(0/0)', 'true|\\xcb\\xff\\xf8\\x00\\x00\\x00\\x00\\x00\\x00'],
  [
    "return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('x', 32), string.rep('y', 255), string.rep('z', 256))",
    'true|\\xa0\\xa1a\\xbfxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\xd9 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\xd9\\xffyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\\xda\\x01\\x00zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
  ],
  [
    "return #cmsgpack.pack(string.rep('z', 65535))..' '..#cmsgpack.pack(string.rep('z', 65536))..' '..cmsgpack.pack(string.rep('z', 65536)):sub(1,6)",
    'true|65538 65541 \\xdb\\x00\\x01\\x00\\x00z',
  ],
  [
    'return cmsgpack.pack({1,2,3}, {}, {a=1}, {1,2,nil,4}, {[1]=1,[2]=2,[4]=4}, {[0]=1})',
    'true|\\x93\\x01\\x02\\x03\\x90\\x81\\xa1a\\x01\\x83\\x01\\x01\\x02\\x02\\x04\\x04\\x83\\x01\\x01\\x02\\x02\\x04\\x04\\x81\\x00\\x01',
  ],
  [
    'return cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16})',
    'true|\\xdc\\x00\\x10\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09\\x0a\\x0b\\x0c\\x0d\\x0e\\x0f\\x10',
  ],
  [
    'return cmsgpack.pack({a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16})',
    'true|\\xde\\x00\\x10\\xa1a\\x01\\xa1p\\x10\\xa1c\\x03\\xa1b\\x02\\xa1e\\x05\\xa1d\\x04\\xa1g\\x07\\xa1f\\x06\\xa1i\\x09\\xa1h\\x08\\xa1k\\x0b\\xa1j\\x0a\\xa1m\\x0d\\xa1l\\x0c\\xa1o\\x0f\\xa1n\\x0e',
  ],
  [
    'return cmsgpack.pack({x={y={z={1,2}}}, [1.5]=true, [true]=false})',
    'true|\\x83\\xa1x\\x81\\xa1y\\x81\\xa1z\\x92\\x01\\x02\\xca?\\xc0\\x00\\x00\\xc3\\xc3\\xc2',
  ],
  ['return cmsgpack.pack()', "false|user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"],
  [
    'local t = {} t[1] = t return cmsgpack.pack(t)',
    'true|\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\x91\\xc0',
  ],
  ['return cmsgpack.pack({[2^31]=1})', 'true|\\x81\\xce\\x80\\x00\\x00\\x00\\x01'],
  ['return cmsgpack.pack({[2^31-1]=1})', 'true|\\x81\\xce\\x7f\\xff\\xff\\xff\\x01'],
  ["return table.concat({cmsgpack.unpack(cmsgpack.pack(1, 2, 'x', 1.5, -7))}, ',')", 'true|1,2,x,1.5,-7'],
  ["local t = cmsgpack.unpack(cmsgpack.pack({a={1,2,{b='c'}}})) return t.a[3].b", 'true|c'],
  ["return cmsgpack.unpack('\\205')", 'false|user_script:1: Missing bytes in input.'],
  ["return cmsgpack.unpack('\\193')", 'false|user_script:1: Bad data format in input.'],
  ["return cmsgpack.unpack('')", 'true|nil'],
  [
    "return tostring(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))..' '..tostring(cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0'))..' '..tostring(cmsgpack.unpack('\\207\\128\\0\\0\\0\\0\\0\\0\\1'))",
    'true|-1 -9.2233720368548e+18 -9.2233720368548e+18',
  ],
  ["return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}, ',')", 'true|1,1'],
  ["return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}, ',')", 'true|2,2'],
  ["return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}, ',')", 'true|-1,3'],
  ["return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}, ',')", 'true|-1'],
  [
    "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)}, ',')",
    'false|user_script:1: Start offset 4 greater than input length 3.',
  ],
  [
    "return table.concat({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)}, ',')",
    'false|user_script:1: Invalid request to unpack with offset of -1 and limit of 3.',
  ],
  ["return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}, ',')", 'true|2,1,2'],
  ["return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}, ',')", 'true|1,2,3'],
  ["return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}, ',')", 'true|-1,2,3'],
  [
    "return table.concat({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)}, ',')",
    'false|user_script:1: Invalid request to unpack with offset of 0 and limit of 3.',
  ],
  ["return cmsgpack.unpack_limit('x')", "false|user_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value)"],
  ['return cmsgpack.unpack({})', "false|user_script:1: bad argument #1 to 'unpack' (string expected, got table)"],
  [
    "return tostring(cmsgpack.unpack('\\202\\127\\128\\0\\0'))..' '..tostring(cmsgpack.unpack('\\203\\0\\0\\0\\0\\0\\0\\0\\1'))",
    'true|inf 4.9406564584125e-324',
  ],
  ["return table.concat({cmsgpack.unpack('\\147\\1\\2')}, ',')", 'false|user_script:1: Missing bytes in input.'],
  ["return #cmsgpack.unpack('\\220\\0\\3\\1\\2\\3')..' '..cmsgpack.unpack('\\222\\0\\1\\161a\\161b').a", 'true|3 b'],
  ["return cmsgpack.unpack('\\145\\193')", 'false|user_script:1: Bad data format in input.'],
  ['return cmsgpack.pack(123456789012)', 'true|\\xcf\\x00\\x00\\x00\\x1c\\xbe\\x99\\x1a\\x14'],
  ["return cmsgpack.pack('\\0\\1\\255')", 'true|\\xa3\\x00\\x01\\xff'],
  ["local s='' for i=1,40 do s = s..cmsgpack.pack(i) end return select('#', cmsgpack.unpack(s))", 'true|40'],
  [
    "local t = {} for i=1,20 do t['k'..i] = i end return cmsgpack.pack(t)",
    'true|\\xde\\x00\\x14\\xa3k16\\x10\\xa3k19\\x13\\xa3k11\\x0b\\xa3k17\\x11\\xa3k15\\x0f\\xa3k20\\x14\\xa3k10\\x0a\\xa2k8\\x08\\xa2k1\\x01\\xa3k12\\x0c\\xa2k3\\x03\\xa2k2\\x02\\xa2k9\\x09\\xa3k13\\x0d\\xa3k18\\x12\\xa3k14\\x0e\\xa2k6\\x06\\xa2k7\\x07\\xa2k4\\x04\\xa2k5\\x05',
  ],
  [
    'local t = {} for i=1,100 do t[i] = i * 1.5 end return cmsgpack.pack(t)',
    'true|\\xdc\\x00d\\xca?\\xc0\\x00\\x00\\x03\\xca@\\x90\\x00\\x00\\x06\\xca@\\xf0\\x00\\x00\\x09\\xcaA(\\x00\\x00\\x0c\\xcaAX\\x00\\x00\\x0f\\xcaA\\x84\\x00\\x00\\x12\\xcaA\\x9c\\x00\\x00\\x15\\xcaA\\xb4\\x00\\x00\\x18\\xcaA\\xcc\\x00\\x00\\x1b\\xcaA\\xe4\\x00\\x00\\x1e\\xcaA\\xfc\\x00\\x00!\\xcaB\\x0a\\x00\\x00$\\xcaB\\x16\\x00\\x00\'\\xcaB"\\x00\\x00*\\xcaB.\\x00\\x00-\\xcaB:\\x00\\x000\\xcaBF\\x00\\x003\\xcaBR\\x00\\x006\\xcaB^\\x00\\x009\\xcaBj\\x00\\x00<\\xcaBv\\x00\\x00?\\xcaB\\x81\\x00\\x00B\\xcaB\\x87\\x00\\x00E\\xcaB\\x8d\\x00\\x00H\\xcaB\\x93\\x00\\x00K\\xcaB\\x99\\x00\\x00N\\xcaB\\x9f\\x00\\x00Q\\xcaB\\xa5\\x00\\x00T\\xcaB\\xab\\x00\\x00W\\xcaB\\xb1\\x00\\x00Z\\xcaB\\xb7\\x00\\x00]\\xcaB\\xbd\\x00\\x00`\\xcaB\\xc3\\x00\\x00c\\xcaB\\xc9\\x00\\x00f\\xcaB\\xcf\\x00\\x00i\\xcaB\\xd5\\x00\\x00l\\xcaB\\xdb\\x00\\x00o\\xcaB\\xe1\\x00\\x00r\\xcaB\\xe7\\x00\\x00u\\xcaB\\xed\\x00\\x00x\\xcaB\\xf3\\x00\\x00{\\xcaB\\xf9\\x00\\x00~\\xcaB\\xff\\x00\\x00\\xcc\\x81\\xcaC\\x02\\x80\\x00\\xcc\\x84\\xcaC\\x05\\x80\\x00\\xcc\\x87\\xcaC\\x08\\x80\\x00\\xcc\\x8a\\xcaC\\x0b\\x80\\x00\\xcc\\x8d\\xcaC\\x0e\\x80\\x00\\xcc\\x90\\xcaC\\x11\\x80\\x00\\xcc\\x93\\xcaC\\x14\\x80\\x00\\xcc\\x96',
  ],
  ['local t = {10,20,30} t.x = 1 return cmsgpack.pack(t)', 'true|\\x84\\x01\\x0a\\x02\\x14\\x03\\x1e\\xa1x\\x01'],
  ['return cmsgpack.pack({[1]=1, [3]=3})', 'true|\\x82\\x01\\x01\\x03\\x03'],
  ['return cmsgpack.pack(setmetatable({}, {__index=function(t,k) return k*2 end}))', 'true|\\x90'],
  ['return cjson.encode({1,2,3})', 'true|[1,2,3]'],
  ["return cjson.encode({a=1,b='x',c={true,false}})", 'true|{"a":1,"c":[true,false],"b":"x"}'],
  ["return cjson.encode('a/b\"c\\\\d\\n\\t\\1\\127\\200\\255')", 'true|"a\\/b\\"c\\\\d\\n\\t\\u0001\\u007f\\xc8\\xff"'],
  [
    "return cjson.encode(1/3)..' '..cjson.encode(1e20)..' '..cjson.encode(1e-5)..' '..cjson.encode(123456789012345678)..' '..cjson.encode(-0.0)..' '..cjson.encode(0.1)..' '..cjson.encode(100)",
    'true|0.33333333333333 1e+20 1e-05 1.2345678901235e+17 -0 0.1 100',
  ],
  ['return cjson.encode(1/0)', 'false|user_script:1: Cannot serialise number: must not be NaN or Inf'],
  ['return cjson.encode(0/0)', 'false|user_script:1: Cannot serialise number: must not be NaN or Inf'],
  ['return cjson.encode({[1]=1,[2]=2,[100]=3})', 'false|user_script:1: Cannot serialise table: excessively sparse array'],
  ['return cjson.encode({[1]=1,[2]=2,[10]=3})', 'true|[1,2,null,null,null,null,null,null,null,3]'],
  ['return cjson.encode({[1]=1,[2]=2,[11]=3})', 'false|user_script:1: Cannot serialise table: excessively sparse array'],
  ['return cjson.encode({})', 'true|{}'],
  ['return cjson.encode({[1.5]=1})', 'true|{"1.5":1}'],
  ['return cjson.encode({[true]=1})', 'false|user_script:1: Cannot serialise boolean: table key must be a number or string'],
  ['return cjson.encode(cjson.null)..cjson.encode(nil)', 'true|nullnull'],
  ['return cjson.encode()', "false|user_script:1: bad argument #1 to 'encode' (expected 1 argument)"],
  ['return cjson.encode(1, 2)', "false|user_script:1: bad argument #1 to 'encode' (expected 1 argument)"],
  ['local t = {} t[1] = t return cjson.encode(t)', 'false|user_script:1: Cannot serialise, excessive nesting (1001)'],
  [
    "local t = {} for i=1,20 do t['k'..i] = i end return cjson.encode(t)",
    'true|{"k16":16,"k19":19,"k11":11,"k17":17,"k15":15,"k20":20,"k10":10,"k8":8,"k1":1,"k12":12,"k3":3,"k2":2,"k9":9,"k13":13,"k18":18,"k14":14,"k6":6,"k7":7,"k4":4,"k5":5}',
  ],
  ['local t = {10,20,30} t.x = 1 return cjson.encode(t)', 'true|{"1":10,"2":20,"3":30,"x":1}'],
  ['return cjson.encode({[-1]=1})', 'true|{"-1":1}'],
  ['return cjson.encode({[2^40]=1})', 'true|{"1099511627776":1}'],
  ['return cjson.encode({[0]=1})', 'true|{"0":1}'],
  [
    "return cjson.encode(100000000000000.5)..' '..cjson.encode(2^53)..' '..cjson.encode(5e-324)..' '..cjson.encode(1.7976931348623157e308)",
    'true|1e+14 9.007199254741e+15 4.9406564584125e-324 1.7976931348623e+308',
  ],
  [
    "return cjson.encode(0.5)..' '..cjson.encode(1.25)..' '..cjson.encode(123456.789e3)..' '..cjson.encode(1e14)..' '..cjson.encode(1e15)..' '..cjson.encode(0.0001)..' '..cjson.encode(0.00001)",
    'true|0.5 1.25 123456789 1e+14 1e+15 0.0001 1e-05',
  ],
  ['local d = cjson.decode(\'[1,2,{"a":"b"}]\') return d[3].a..#d', 'true|b3'],
  ['local d = cjson.decode(\'{"a":null}\') return tostring(d.a == cjson.null)', 'true|true'],
  [
    'return cjson.decode(\'"\\\\u00e9\\\\u20ac\\\\ud83d\\\\ude00\\\\/\\\\b\\\\f"\')',
    'true|\\xc3\\xa9\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80/\\x08\\x0c',
  ],
  ['return cjson.decode(\'"\\\\ud83d"\')', 'false|user_script:1: Expected value but found invalid unicode escape code at character 2'],
  ['return cjson.decode(\'"\\\\ude00"\')', 'false|user_script:1: Expected value but found invalid unicode escape code at character 2'],
  ['return cjson.decode(\'"\\\\x"\')', 'false|user_script:1: Expected value but found invalid escape code at character 2'],
  ["return cjson.decode('\"abc')", 'false|user_script:1: Expected value but found unexpected end of string at character 5'],
  ["return cjson.decode('')", 'false|user_script:1: Expected value but found T_END at character 1'],
  ["return cjson.decode('[1,2')", 'false|user_script:1: Expected comma or array end but found T_END at character 5'],
  ["return cjson.decode('[1 2]')", 'false|user_script:1: Expected comma or array end but found T_NUMBER at character 4'],
  ['return cjson.decode(\'{"a" 1}\')', 'false|user_script:1: Expected colon but found T_NUMBER at character 6'],
  ["return cjson.decode('{1:1}')", 'false|user_script:1: Expected object key string but found T_NUMBER at character 2'],
  ['return cjson.decode(\'{"a":1,}\')', 'false|user_script:1: Expected object key string but found T_OBJ_END at character 8'],
  ["return cjson.decode('nil')", 'false|user_script:1: Expected value but found invalid token at character 1'],
  ["return cjson.decode('[1]x')", 'false|user_script:1: Expected the end but found invalid token at character 4'],
  ["return cjson.decode('truex')", 'false|user_script:1: Expected the end but found invalid token at character 5'],
  [
    "return tostring(cjson.decode('0x10'))..' '..tostring(cjson.decode('-inf'))..' '..tostring(cjson.decode('1e400'))..' '..tostring(cjson.decode('+5'))..' '..tostring(cjson.decode('007'))..' '..tostring(cjson.decode('Infinity'))",
    'true|16 -inf inf 5 7 inf',
  ],
  ["return tostring(cjson.decode('nan'))", 'true|nan'],
  ["return tostring(cjson.decode('-'))", 'false|user_script:1: Expected value but found invalid number at character 1'],
  [
    "return tostring(cjson.decode('1.5e'))..' '..tostring(cjson.decode(' \\n 42 '))",
    'false|user_script:1: Expected the end but found invalid token at character 4',
  ],
  ["return cjson.decode('\\0a')", 'false|user_script:1: JSON parser does not support UTF-16 or UTF-32'],
  ["return cjson.decode('1\\0garbage')", 'false|user_script:1: JSON parser does not support UTF-16 or UTF-32'],
  ["return cjson.decode(string.rep('[', 1001))", 'false|user_script:1: Found too many nested data structures (1001) at character 1001'],
  ["return cjson.decode(string.rep('[', 5))", 'false|user_script:1: Expected value but found T_END at character 6'],
  ["return #cjson.decode(string.rep('[', 1000)..string.rep(']', 1000))", 'true|1'],
  ['return cjson.decode(\'"a\\0b"\')', 'false|user_script:1: Expected value but found unexpected end of string at character 3'],
  ['return cjson.decode({})', "false|user_script:1: bad argument #1 to 'decode' (string expected, got table)"],
  ['return cjson.decode()', "false|user_script:1: bad argument #1 to 'decode' (expected 1 argument)"],
  ['return cjson._NAME..cjson._VERSION', 'true|cjson2.1.0'],
  ['return cjson.encode({cjson.null, 1})', 'true|[null,1]'],
  ['return cjson.encode({["1"]=1,[1]=2})', 'true|{"1":1,"1":2}'],
  ['return cjson.encode({[1]=1, ["a"]=2})', 'true|{"1":1,"a":2}'],
  ['return cjson.encode(setmetatable({}, {__index=function() return 1 end}))', 'true|{}'],
  ['return cjson.encode({[1e300]=1})', 'true|{"1e+300":1}'],
  ['return cjson.encode({{},{},{{}}})', 'true|[{},{},[{}]]'],
  ["return cjson.encode('\\226\\130\\172')", 'true|"\\xe2\\x82\\xac"'],
  ['return cjson.decode(\'"\\\\u0000"\')', 'true|\\x00'],
  ["return cjson.decode('[]')..''", 'false|user_script:1: attempt to concatenate a table value'],
  [
    "local t={} for k in pairs(cjson) do t[#t+1]=k end return table.concat(t,',')",
    'true|_NAME,encode,decode_max_depth,_VERSION,decode_invalid_numbers,encode_keep_buffer,null,encode_number_precision,new,encode_max_depth,encode_invalid_numbers,decode,encode_sparse_array',
  ],
  [
    "local t={} for k in pairs(cmsgpack) do t[#t+1]=k end return table.concat(t,',')",
    'true|_DESCRIPTION,pack,_NAME,unpack,_COPYRIGHT,_VERSION,unpack_one,unpack_limit',
  ],
  [
    "local t={} for k in pairs(bit) do t[#t+1]=k end return table.concat(t,',')",
    'true|band,rshift,bor,bnot,bswap,bxor,tobit,ror,lshift,tohex,rol,arshift',
  ],
  ["local t={} for k in pairs(struct) do t[#t+1]=k end return table.concat(t,',')", 'true|pack,size,unpack'],
  [
    'return cjson.encode(cjson.decode(\'{"b":1,"a":2,"c":3,"zz":[1,{"q":1,"p":2}],"x":null}\'))',
    'true|{"zz":[1,{"q":1,"p":2}],"x":null,"c":3,"b":1,"a":2}',
  ],
  [
    'return cjson.encode(cmsgpack.unpack(cmsgpack.pack(cjson.decode(\'{"b":1,"a":2,"c":3,"zz":[1,{"q":1,"p":2}],"x":{"k":true}}\'))))',
    'true|{"zz":[1,{"q":1,"p":2}],"x":{"k":true},"c":3,"b":1,"a":2}',
  ],
  [
    "local t = {} for i = 1, 50 do t['key' .. i] = i; t[i * 7] = 'v' .. i end return cmsgpack.pack(t)",
    'true|\\xde\\x00d\\xa5key16\\x10\\xcc\\xf5\\xa3v35\\xa5key502~\\xa3v18\\xcd\\x01\\x0a\\xa3v38\\xa4key7\\x07\\xcc\\x8c\\xa3v20\\xa4key8\\x08\\xcd\\x01&\\xa3v42\\xcc\\x9a\\xa3v22\\xa5key17\\x11\\xa5key39\'\\xa5key25\\x19\\xcc\\xa8\\xa3v24\\xa5key29\\x1d\\xa4key4\\x04\\xa5key32 \\xcc\\xb6\\xa3v26\\xa5key15\\x0f1\\xa2v7\\xcc\\xc4\\xa3v28\\xa5key38&\\xa5key22\\x16\\xcd\\x01\\x1f\\xa3v41\\xa4key6\\x06\\xa5key11\\x0b\\xa5key491\\xa5key44,\\x0e\\xa2v28\\xa2v8\\xcc\\xe0\\xa3v32\\xa5key37%\\xcd\\x01^\\xa3v50\\xcd\\x01W\\xa3v49\\xcc\\xee\\xa3v34\\xcd\\x01\\x03\\xa3v37\\xa5key480\\xa4key2\\x02\\xa4key9\\x09\\xa5key47/?\\xa2v9\\xa5key35#\\xcd\\x01B\\xa3v46\\xa5key31\\x1f\\xcd\\x01;\\xa3v45\\xcc\\x85\\xa3v19\\xa5key45-\\xcd\\x01\\x18\\xa3v40F\\xa3v10\\xa5key14\\x0e\\xcd\\x01-\\xa3v43\\xa5key43+\\xcc\\x93\\xa3v21\\xa5key42*\\xa5key41)M\\xa3v11\\xcd\\x014\\xa3v44\\xa5key26\\x1a\\xa5key40(\\xa5key23\\x17\\xa5key13\\x0d\\x15\\xa2v3T\\xa3v12\\xcd\\x01P\\xa3v48\\xcc\\xfc\\xa3v36\\xa5key21\\x15\\xcc\\xaf\\xa3v25#\\xa2v5\\xa5key34"[\\xa3v13\\xcc\\xe7\\xa3v33\\xa5key33!\\xa4key1\\x01\\xcc\\xbd\\xa3v27\\xcc\\xa1\\xa3v23\\xa5key46.\\xa5key27\\x1bb\\xa3v14\\xcc\\xd2\\xa3v30\\xcd\\x01\\x11\\xa3v39\\xcc\\xcb\\xa3v29\\xa4key3\\x03\\x1c\\xa2v4i\\xa3v15\\xa5key12\\x0cp\\xa3v16\\xa5key30\\x1e\\xcc\\xd9\\xa3v31\\x07\\xa2v1\\xa5key10\\x0a\\xa5key19\\x13\\xa5key24\\x18*\\xa2v6\\xcd\\x01I\\xa3v47\\xa5key20\\x14\\xa4key5\\x05\\xa5key18\\x12w\\xa3v17\\xa5key36$\\xa5key28\\x1c',
  ],
];

test('library results and error messages match redis-server 7.0', async () => {
  const bad: string[] = [];
  for (const [code, expected] of CASES) {
    const got = await run(wrap(code));
    if (got !== expected) bad.push(`${code}\n  got:      ${got}\n  expected: ${expected}`);
  }
  assert.deepEqual(bad, []);
});

test('module tables carry the C libraries functions and metadata', async () => {
  assert.equal(await run('return cjson._NAME .. " " .. cjson._VERSION'), 'cjson 2.1.0');
  assert.equal(await run('return cmsgpack._VERSION'), 'lua-cmsgpack 0.4.0');
  assert.equal(await run('return type(bit.tohex) .. type(struct.size) .. type(cjson.new)'), 'functionfunctionfunction');
});

test('cjson and cmsgpack round trips of random nested values', async () => {
  const rng = new Rng(42);
  const gen = (depth: number): string => {
    const r = rng.int(0, depth > 3 ? 3 : 6);
    if (r === 0) return String(rng.int(-1e6, 1e6));
    if (r === 1) return `${rng.int(-1e6, 1e6)}.${rng.int(1, 999)}`;
    if (r === 2) return JSON.stringify(`s${rng.int(0, 1e9)}\\n/"`).replace(/\\\\/g, '\\\\');
    if (r === 3) return rng.int(0, 1) ? 'true' : 'false';
    if (r === 4) return `{${Array.from({ length: rng.int(1, 5) }, () => gen(depth + 1)).join(',')}}`;
    return `{${Array.from({ length: rng.int(0, 5) }, (_, i) => `k${i}=${gen(depth + 1)}`).join(',')}}`;
  };
  const deepEq = `local function eq(a, b)
      if type(a) ~= type(b) then return false end
      if type(a) ~= 'table' then return a == b end
      for k, v in pairs(a) do if not eq(v, b[k]) then return false end end
      for k in pairs(b) do if a[k] == nil then return false end end
      return true end`;
  for (let i = 0; i < 40; i++) {
    const v = gen(0);
    const code = `${deepEq} local v = ${v}
      local j = cjson.decode(cjson.encode(v))
      local m = cmsgpack.unpack(cmsgpack.pack(v))
      return tostring(eq(v, m)) .. ' ' .. tostring(cjson.encode(j) == cjson.encode(v))`;
    assert.equal(await run(code), 'true true', v);
  }
});

test('formatG agrees with C printf %g (the wasm libc) on random doubles, ties included', async () => {
  const vm = await vmP;
  const L = vm.newState();
  vm.m._luaL_openlibs(L);
  vm.loadBuffer(L, 'local x, p = ... return string.format("%." .. p .. "g", x)', '=fmt');
  const rng = new Rng(7);
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const values = [0.5, 2.5, 100000000000000.5, 999999999999995, 1e15 + 5, 125, 1e-5, 1e21, -0.0001];
  for (let i = 0; i < 3000; i++) {
    u32[0] = rng.int(0, 2 ** 32 - 1);
    u32[1] = rng.int(0, 2 ** 32 - 1);
    if (Number.isFinite(f64[0])) values.push(f64[0]);
    values.push(rng.int(0, 1e6) / 1000, rng.int(0, 2 ** 31) * 10 ** rng.int(-20, 20));
  }
  for (const x of values) {
    for (const p of [1, 3, 14, 17]) {
      vm.m._lua_pushvalue(L, 1);
      vm.m._lua_pushnumber(L, x);
      vm.m._lua_pushnumber(L, p);
      vm.m._lua_pcall(L, 2, 1, 0);
      const c = vm.toString(L, -1);
      vm.m._lua_settop(L, 1);
      assert.equal(formatG(x, p), c, `${x} %.${p}g`);
    }
  }
  vm.m._lua_close(L);
});

test('strtod accepts what glibc strtod accepts', () => {
  assert.deepEqual(strtod('0x1.8p1,', 0), { value: 3, end: 7 });
  assert.deepEqual(strtod('1.5e+', 0), { value: 1.5, end: 3 });
  assert.deepEqual(strtod('-Infinity', 0), { value: Number.NEGATIVE_INFINITY, end: 9 });
  assert.deepEqual(strtod('0x', 0), { value: 0, end: 1 });
  assert.equal(strtod('-', 0).end, 0);
  assert.ok(Number.isNaN(strtod('nan(12)', 0).value));
});
