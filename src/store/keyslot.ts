/**
 * Key → hash slot, as Redis Cluster computes it (Redis 7.0 cluster.c keyHashSlot, crc16.c): CRC16
 * (XMODEM: polynomial 0x1021, initial value 0) of the key's bytes modulo 16384, hashing only the
 * part between the first `{` and the next `}` when that part is non-empty (a hash tag).
 * Keys are binary strings (one byte per char, STYLE.md).
 */

const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/** CRC16/XMODEM of chars [start, end) of a binary string (each char one byte). */
export function crc16(s: string, start = 0, end = s.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff];
  return crc;
}

/** The hash slot (0..16383) of a key: CRC16 of its hash tag when it has a non-empty one, else of the whole key. */
export function keyHashSlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close !== -1 && close !== open + 1) return crc16(key, open + 1, close) & 0x3fff;
  }
  return crc16(key) & 0x3fff;
}
