/**
 * Geospatial commands over sorted sets whose scores are 52-bit geohashes (src/store/geohash.ts):
 * GEOADD (run as ZADD and propagated as ZADD, as Redis does), GEODIST, GEOHASH, GEOPOS, GEORADIUS
 * (+_RO, STORE/STOREDIST), GEORADIUSBYMEMBER (+_RO), GEOSEARCH, GEOSEARCHSTORE.
 * Replies follow Redis 7.0: distances as `%.4f` bulk strings, coordinates as ld2string human
 * strings (bulk in RESP2, RESP3 doubles), hashes as integers; unsorted results come in the order
 * of the 9 covering cells (centre, N, S, E, W, NE, NW, SE, SW), each in score order.
 * Source: Redis 7.0 geo.c (geoaddCommand, georadiusGeneric, geodistCommand, geohashCommand,
 * geoposCommand).
 */
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, RObject } from '../../store/db.js';
import {
  areasByShape,
  cellScore,
  decodeScore,
  decodeScoreInto,
  distanceIfWithin,
  encodeScore,
  formatFixed,
  formatHuman,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  type GeoShape,
  geoDistance,
  geohashString,
  cellScoreBig,
} from '../../store/geohash.js';
import type { ScoreRange } from '../../store/skiplist.js';
import { ZSet, zsetLimits } from '../../store/zset.js';
import { isKeyword, parseInt64 } from '../args.js';
import type { CommandDef } from '../types.js';
import zsets from '../zsets/index.js';
import { parseDoubleStrict, readZset } from '../zsets/util.js';

const ERR_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
const ERR_NEED_RADIUS = 'ERR need numeric radius';
const ERR_NEED_WIDTH = 'ERR need numeric width';
const ERR_NEED_HEIGHT = 'ERR need numeric height';
const ERR_RADIUS_NEGATIVE = 'ERR radius cannot be negative';
const ERR_BOX_NEGATIVE = 'ERR height or width cannot be negative';
const ERR_DECODE_MEMBER = 'ERR could not decode requested zset member';
const ERR_COUNT_POSITIVE = 'ERR COUNT must be > 0';
const ERR_ANY_NEEDS_COUNT = 'ERR the ANY argument requires COUNT argument';

/** georadiusGeneric flags (geo.c RADIUS_*, GEOSEARCH*). */
const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

const zaddHandler = zsets.find((d) => d.name === 'zadd')?.handler as (c: Client, argv: string[]) => void;

/** getDoubleFromObjectOrReply: the double or null after replying `msg`. */
function doubleOrReply(c: Client, s: string, msg = ERR_NOT_FLOAT): number | null {
  const d = parseDoubleStrict(s);
  if (d === null) c.error(msg);
  return d;
}

/** extractLongLatOrReply: [lon, lat] validated against the geohash limits, or null after replying. */
function lonLatOrReply(c: Client, argv: string[], i: number): [number, number] | null {
  const x = doubleOrReply(c, argv[i]);
  if (x === null) return null;
  const y = doubleOrReply(c, argv[i + 1]);
  if (y === null) return null;
  if (x < GEO_LONG_MIN || x > GEO_LONG_MAX || y < GEO_LAT_MIN || y > GEO_LAT_MAX) {
    c.error(`ERR invalid longitude,latitude pair ${formatFixed(x, 6)},${formatFixed(y, 6)}`);
    return null;
  }
  return [x, y];
}

/** extractUnitOrReply: metres per unit (m, km, ft, mi; any case), or -1 after replying. */
function unitOrReply(c: Client, u: string): number {
  if (isKeyword(u, 'm')) return 1;
  if (isKeyword(u, 'km')) return 1000;
  if (isKeyword(u, 'ft')) return 0.3048;
  if (isKeyword(u, 'mi')) return 1609.34;
  c.error(ERR_UNIT);
  return -1;
}

/** extractDistanceOrReply into the shape (radius, conversion). @returns false after replying. */
function distanceOrReply(c: Client, argv: string[], i: number, shape: GeoShape): boolean {
  const d = doubleOrReply(c, argv[i], ERR_NEED_RADIUS);
  if (d === null) return false;
  if (d < 0) {
    c.error(ERR_RADIUS_NEGATIVE);
    return false;
  }
  shape.radius = d;
  const conv = unitOrReply(c, argv[i + 1]);
  if (conv < 0) return false;
  shape.conversion = conv;
  return true;
}

/** extractBoxOrReply into the shape (width, height, conversion). @returns false after replying. */
function boxOrReply(c: Client, argv: string[], i: number, shape: GeoShape): boolean {
  const w = doubleOrReply(c, argv[i], ERR_NEED_WIDTH);
  if (w === null) return false;
  const h = doubleOrReply(c, argv[i + 1], ERR_NEED_HEIGHT);
  if (h === null) return false;
  if (h < 0 || w < 0) {
    c.error(ERR_BOX_NEGATIVE);
    return false;
  }
  const conv = unitOrReply(c, argv[i + 2]);
  if (conv < 0) return false;
  shape.conversion = conv;
  shape.width = w;
  shape.height = h;
  return true;
}

/** A coordinate as addReplyHumanLongDouble: bulk string in RESP2, RESP3 double. */
function replyCoord(c: Client, d: number): void {
  const s = formatHuman(d);
  if (c.reply.resp === 3) c.reply.raw(Buffer.from(`,${s}\r\n`, 'latin1'));
  else c.reply.bulk(s);
}

// ---- GEOADD ----------------------------------------------------------------------------------

/**
 * GEOADD key [NX|XX] [CH] lon lat member ...: rewritten to ZADD key [flags] score member ... and
 * run (and propagated) as ZADD, with ZADD's reply and `zadd` event (geoaddCommand).
 */
function geoaddCommand(c: Client, argv: string[]): void {
  let xx = false;
  let nx = false;
  let longidx = 2;
  while (longidx < argv.length) {
    const opt = argv[longidx];
    if (isKeyword(opt, 'nx')) nx = true;
    else if (isKeyword(opt, 'xx')) xx = true;
    else if (!isKeyword(opt, 'ch')) break;
    longidx++;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) {
    c.error(ERR_SYNTAX);
    return;
  }
  const elements = (argv.length - longidx) / 3;
  const zargv = new Array<string>(longidx + elements * 2);
  zargv[0] = 'zadd';
  for (let i = 1; i < longidx; i++) zargv[i] = argv[i];
  for (let i = 0; i < elements; i++) {
    const xy = lonLatOrReply(c, argv, longidx + i * 3);
    if (xy === null) return;
    const cell = encodeScore(xy[0], xy[1]);
    const score = cellScore(cell);
    zargv[longidx + i * 2] = score < 9007199254740992 ? String(score) : cellScoreBig(cell).toString();
    zargv[longidx + 1 + i * 2] = argv[longidx + i * 3 + 2];
  }
  c.server.propArgv = zargv;
  zaddHandler(c, zargv);
}

// ---- GEORADIUS / GEOSEARCH -------------------------------------------------------------------

const XY = new Float64Array(2);

interface GeoPoint {
  lon: number;
  lat: number;
  /** Metres, from V8's libm: orders results; replies recompute Redis's exact double (geoDistance). */
  dist: number;
  score: number;
  member: string;
}

/**
 * membersOfAllNeighbors + geoGetPointsInRange: appends the members of each covering cell that lie
 * inside the shape, stopping once `limit` points are found (0 = no limit, ANY).
 */
function collect(z: ZSet, shape: GeoShape, limit: number): GeoPoint[] {
  const cells = areasByShape(shape);
  const out: GeoPoint[] = [];
  let last = 0;
  const range: ScoreRange = { min: 0, max: 0, minex: false, maxex: true };
  for (let i = 0; i < 9; i++) {
    const cell = cells[i];
    if (cell.step === 0) continue;
    const prev = cells[last];
    if (last !== 0 && cell.lat === prev.lat && cell.lon === prev.lon && cell.step === prev.step) continue;
    if (out.length > 0 && limit > 0 && out.length >= limit) break;
    range.min = cellScore(cell);
    range.max = range.min + 2 ** (52 - cell.step * 2);
    for (let x = z.zsl.firstInRange(range); x !== null; x = x.next) {
      if (!(x.score < range.max)) break;
      decodeScoreInto(x.score, XY);
      const px = XY[0];
      const py = XY[1];
      const d = distanceIfWithin(shape, px, py);
      if (d >= 0) {
        out.push({ lon: px, lat: py, dist: d, score: x.score, member: x.ele });
        if (limit > 0 && out.length >= limit) break;
      }
    }
    last = i;
  }
  return out;
}

/**
 * The shared body of GEORADIUS*, GEOSEARCH and GEOSEARCHSTORE: option parsing, errors in Redis's
 * order, search, optional sort/count, then a reply or a store (georadiusGeneric).
 */
function georadiusGeneric(c: Client, argv: string[], srcKeyIndex: number, flags: number): void {
  let storekey: string | null = null;
  let storedist = false;
  const z = readZset(c, argv[srcKeyIndex]);
  if (z === null) return;
  let baseArgs: number;
  const shape: GeoShape = { lon: 0, lat: 0, circular: true, radius: 0, width: 0, height: 0, conversion: 0 };
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    const xy = lonLatOrReply(c, argv, 2);
    if (xy === null) return;
    shape.lon = xy[0];
    shape.lat = xy[1];
    if (!distanceOrReply(c, argv, baseArgs - 2, shape)) return;
  } else if (flags & RADIUS_MEMBER && z === undefined) {
    baseArgs = 5;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    const s = (z as ZSet).score(argv[2]);
    if (s === undefined) {
      c.error(ERR_DECODE_MEMBER);
      return;
    }
    [shape.lon, shape.lat] = decodeScore(s);
    if (!distanceOrReply(c, argv, baseArgs - 2, shape)) return;
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storekey = argv[1];
    }
  }
  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const j = baseArgs + i;
    const arg = argv[j];
    if (isKeyword(arg, 'withdist')) withdist = true;
    else if (isKeyword(arg, 'withhash')) withhash = true;
    else if (isKeyword(arg, 'withcoord')) withcoords = true;
    else if (isKeyword(arg, 'any')) any = true;
    else if (isKeyword(arg, 'asc')) sort = SORT_ASC;
    else if (isKeyword(arg, 'desc')) sort = SORT_DESC;
    else if (isKeyword(arg, 'count') && i + 1 < remaining) {
      const n = parseInt64(argv[j + 1]);
      if (n === null) {
        c.error(ERR_NOT_INTEGER);
        return;
      }
      if (n <= 0) {
        c.error(ERR_COUNT_POSITIVE);
        return;
      }
      count = Number(n);
      i++;
    } else if (isKeyword(arg, 'store') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = argv[j + 1];
      storedist = false;
      i++;
    } else if (isKeyword(arg, 'storedist') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = argv[j + 1];
      storedist = true;
      i++;
    } else if (isKeyword(arg, 'storedist') && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storedist = true;
    } else if (isKeyword(arg, 'frommember') && i + 1 < remaining && flags & GEOSEARCH && !fromloc) {
      if (z !== undefined) {
        const s = z.score(argv[j + 1]);
        if (s === undefined) {
          c.error(ERR_DECODE_MEMBER);
          return;
        }
        [shape.lon, shape.lat] = decodeScore(s);
      }
      frommember = true;
      i++;
    } else if (isKeyword(arg, 'fromlonlat') && i + 2 < remaining && flags & GEOSEARCH && !frommember) {
      const xy = lonLatOrReply(c, argv, j + 1);
      if (xy === null) return;
      shape.lon = xy[0];
      shape.lat = xy[1];
      fromloc = true;
      i += 2;
    } else if (isKeyword(arg, 'byradius') && i + 2 < remaining && flags & GEOSEARCH && !bybox) {
      if (!distanceOrReply(c, argv, j + 1, shape)) return;
      shape.circular = true;
      byradius = true;
      i += 2;
    } else if (isKeyword(arg, 'bybox') && i + 3 < remaining && flags & GEOSEARCH && !byradius) {
      if (!boxOrReply(c, argv, j + 1, shape)) return;
      shape.circular = false;
      bybox = true;
      i += 3;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (storekey !== null && (withdist || withhash || withcoords)) {
    c.error(
      `ERR ${flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
    return;
  }
  if (flags & GEOSEARCH && !(frommember || fromloc)) {
    c.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
    return;
  }
  if (flags & GEOSEARCH && !(byradius || bybox)) {
    c.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
    return;
  }
  if (any && count === 0) {
    c.error(ERR_ANY_NEEDS_COUNT);
    return;
  }
  if (z === undefined) {
    if (storekey !== null) {
      if (c.db.delete(storekey)) {
        c.server.notifyKeyspaceEvent('g', 'del', storekey, c.db.id);
        c.server.dirty++;
      }
      c.reply.integer(0);
    } else {
      c.reply.arrayLen(0);
    }
    return;
  }
  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;
  const ga = collect(z, shape, any ? count : 0);
  if (ga.length === 0 && storekey === null) {
    c.reply.arrayLen(0);
    return;
  }
  const returned = count === 0 || ga.length < count ? ga.length : count;
  if (sort === SORT_ASC) ga.sort((a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1));
  else if (sort === SORT_DESC) ga.sort((a, b) => (a.dist > b.dist ? -1 : a.dist === b.dist ? 0 : 1));
  if (storekey === null) {
    const optionLength = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    c.reply.arrayLen(returned);
    for (let i = 0; i < returned; i++) {
      const gp = ga[i];
      if (optionLength) c.reply.arrayLen(optionLength + 1);
      c.reply.bulk(gp.member);
      if (withdist) c.reply.bulk(formatFixed(geoDistance(shape.lon, shape.lat, gp.lon, gp.lat) / shape.conversion, 4));
      if (withhash) c.reply.integer(Math.trunc(gp.score));
      if (withcoords) {
        c.reply.arrayLen(2);
        replyCoord(c, gp.lon);
        replyCoord(c, gp.lat);
      }
    }
    return;
  }
  if (returned > 0) {
    zsetLimits.maxListpackEntries = c.server.config.num('zset-max-listpack-entries');
    zsetLimits.maxListpackValue = c.server.config.num('zset-max-listpack-value');
    const dst = new ZSet();
    for (let i = 0; i < returned; i++) {
      const gp = ga[i];
      dst.insert(storedist ? geoDistance(shape.lon, shape.lat, gp.lon, gp.lat) / shape.conversion : gp.score, gp.member);
    }
    c.db.setKey(storekey, new RObject(ObjType.ZSet, dst));
    c.server.notifyKeyspaceEvent('z', flags & GEOSEARCH ? 'geosearchstore' : 'georadiusstore', storekey, c.db.id);
    c.server.dirty += returned;
    c.server.signalKeyAsReady(c.db, storekey);
  } else if (c.db.delete(storekey)) {
    c.server.notifyKeyspaceEvent('g', 'del', storekey, c.db.id);
    c.server.dirty++;
  }
  c.reply.integer(returned);
}

/** GEORADIUS key lon lat radius unit [options] [STORE key] [STOREDIST key]. */
function georadiusCommand(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_COORDS);
}
/** GEORADIUSBYMEMBER key member radius unit [options] [STORE key] [STOREDIST key]. */
function georadiusbymemberCommand(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_MEMBER);
}
/** GEORADIUS_RO: GEORADIUS without STORE/STOREDIST. */
function georadiusroCommand(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE);
}
/** GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE/STOREDIST. */
function georadiusbymemberroCommand(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE);
}
/** GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [options]. */
function geosearchCommand(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 1, GEOSEARCH);
}
/** GEOSEARCHSTORE dst src ... [STOREDIST]. */
function geosearchstoreCommand(c: Client, argv: string[]): void {
  georadiusGeneric(c, argv, 2, GEOSEARCH | GEOSEARCHSTORE);
}

// ---- GEODIST / GEOHASH / GEOPOS -------------------------------------------------------------

/** GEODIST key m1 m2 [unit]: the distance as `%.4f`, or nil when a member is missing. */
function geodistCommand(c: Client, argv: string[]): void {
  let toMeter = 1;
  if (argv.length === 5) {
    toMeter = unitOrReply(c, argv[4]);
    if (toMeter < 0) return;
  } else if (argv.length > 5) {
    c.error(ERR_SYNTAX);
    return;
  }
  const z = readZset(c, argv[1]);
  if (z === null) return;
  if (z === undefined) {
    c.reply.nullBulk();
    return;
  }
  const s1 = z.score(argv[2]);
  const s2 = z.score(argv[3]);
  if (s1 === undefined || s2 === undefined) {
    c.reply.nullBulk();
    return;
  }
  const a = decodeScore(s1);
  const b = decodeScore(s2);
  c.reply.bulk(formatFixed(geoDistance(a[0], a[1], b[0], b[1]) / toMeter, 4));
}

/** GEOHASH key member ...: 11-char standard geohash strings (nil for missing members). */
function geohashCommand(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]);
  if (z === null) return;
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const s = z?.score(argv[j]);
    if (s === undefined) c.reply.nullBulk();
    else c.reply.bulk(geohashString(s));
  }
}

/** GEOPOS key member ...: [lon, lat] pairs (null arrays for missing members). */
function geoposCommand(c: Client, argv: string[]): void {
  const z = readZset(c, argv[1]);
  if (z === null) return;
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const s = z?.score(argv[j]);
    if (s === undefined) c.reply.nullArray();
    else {
      const [x, y] = decodeScore(s);
      c.reply.arrayLen(2);
      replyCoord(c, x);
      replyCoord(c, y);
    }
  }
}

const geo: CommandDef[] = [
  { name: 'geoadd', handler: geoaddCommand },
  { name: 'geodist', handler: geodistCommand },
  { name: 'geohash', handler: geohashCommand },
  { name: 'geopos', handler: geoposCommand },
  { name: 'georadius', handler: georadiusCommand },
  { name: 'georadius_ro', handler: georadiusroCommand },
  { name: 'georadiusbymember', handler: georadiusbymemberCommand },
  { name: 'georadiusbymember_ro', handler: georadiusbymemberroCommand },
  { name: 'geosearch', handler: geosearchCommand },
  { name: 'geosearchstore', handler: geosearchstoreCommand },
];

export default geo;
