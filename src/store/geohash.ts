/**
 * Geohash arithmetic for the GEO* commands: the 52-bit interleaved scores of geo sets, cell
 * neighbours, the 9-cell cover of a search shape, haversine distances, and the C number formats
 * (`%f`, `%.4f`, `%.17Lf` trimmed) the replies use.
 *
 * A cell is kept as its two integer coordinates (lat, lon, each < 2^step) instead of the
 * interleaved word: moving east/west/north/south is then ±1 modulo 2^step, exactly what
 * geohash_move_x/geohash_move_y do on the interleaved bits. Every floating-point expression keeps
 * Redis's operation order, so encodings, decoded coordinates and distances are the same doubles
 * (Math.sin/cos/asin may differ from glibc by one ulp in rare cases, below the 4 printed decimals).
 * Source: Redis 7.0 geohash.c, geohash_helper.c, geo.c (decodeGeohash), util.c ld2string.
 */

/** Longitude/latitude limits (EPSG:900913; Redis GEO_LONG_MIN/MAX, GEO_LAT_MIN/MAX). */
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
/** Bits per coordinate in a stored score (GEO_STEP_MAX): 26 + 26 = 52 bits. */
export const GEO_STEP_MAX = 26;
/** Earth's quadratic mean radius for WGS-84, metres (EARTH_RADIUS_IN_METERS). */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

/** A geohash cell: integer latitude and longitude indexes at `step` bits each; step 0 = GZERO'd. */
export interface GeoCell {
  lat: number;
  lon: number;
  step: number;
}

/** A decoded cell: its longitude and latitude intervals in degrees (GeoHashArea). */
export interface GeoArea {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

function degRad(ang: number): number {
  return ang * D_R;
}
function radDeg(ang: number): number {
  return ang / D_R;
}

/** Spreads the low 13 bits of v to the even bit positions of a 26-bit integer. */
function spread13(v: number): number {
  let x = v & 0x1fff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

/** Gathers the even bits of a 26-bit integer into 13 bits (inverse of spread13). */
function squash13(v: number): number {
  let x = v & 0x5555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** v (< 2^26) with its bits on even positions, as a Number (< 2^52). */
function spread26(v: number): number {
  return spread13(v >>> 13) * 67108864 + spread13(v);
}

/**
 * interleave64(lat, lon) aligned to 52 bits (geohashAlign52Bits) as an exact integer: latitude
 * bits on even positions, longitude bits on odd ones. Indexes may reach 2^step (a coordinate on
 * the upper limit), as in C where the extra bit lands above the 52.
 */
export function cellScoreBig(c: GeoCell): bigint {
  let r = 0n;
  const lat = BigInt(c.lat);
  const lon = BigInt(c.lon);
  for (let i = 0n; i < 32n; i++) {
    r |= ((lat >> i) & 1n) << (2n * i);
    r |= ((lon >> i) & 1n) << (2n * i + 1n);
  }
  return r << BigInt(52 - c.step * 2);
}

/** The 52-bit aligned score of a cell as a Number (exact while both indexes are < 2^26). */
export function cellScore(c: GeoCell): number {
  if (c.lat >= 67108864 || c.lon >= 67108864) return Number(cellScoreBig(c));
  return (spread26(c.lat) + 2 * spread26(c.lon)) * 2 ** (52 - c.step * 2);
}

/**
 * geohashEncode over [-180,180] x [-85.05112878,85.05112878] (or the given ranges): the cell
 * containing (lon, lat) at `step` bits. @returns null where C returns 0 (outside the limits).
 */
export function geohashEncode(
  lon: number,
  lat: number,
  step: number,
  lonMin = GEO_LONG_MIN,
  lonMax = GEO_LONG_MAX,
  latMin = GEO_LAT_MIN,
  latMax = GEO_LAT_MAX,
): GeoCell | null {
  if (step > 32 || step === 0) return null;
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return null;
  if (lat < latMin || lat > latMax || lon < lonMin || lon > lonMax) return null;
  let latOffset = (lat - latMin) / (latMax - latMin);
  let lonOffset = (lon - lonMin) / (lonMax - lonMin);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  // (uint32_t) conversion of a non-negative double: truncation.
  return { lat: Math.trunc(latOffset) >>> 0, lon: Math.trunc(lonOffset) >>> 0, step };
}

/** geohashDecode: the cell's intervals (WGS84 ranges unless given). */
export function geohashDecode(
  c: GeoCell,
  lonMin = GEO_LONG_MIN,
  lonMax = GEO_LONG_MAX,
  latMin = GEO_LAT_MIN,
  latMax = GEO_LAT_MAX,
): GeoArea {
  const latScale = latMax - latMin;
  const lonScale = lonMax - lonMin;
  const div = 2 ** c.step;
  return {
    latMin: latMin + (c.lat / div) * latScale,
    latMax: latMin + (((c.lat + 1) >>> 0) / div) * latScale,
    lonMin: lonMin + (c.lon / div) * lonScale,
    lonMax: lonMin + (((c.lon + 1) >>> 0) / div) * lonScale,
  };
}

const TWO52 = 4503599627370496;
const TWO64 = 18446744073709551616n;
const TWO63F = 2 ** 63;
const TWO64F = 2 ** 64;

/** (uint64_t) of a double as x86-64 gcc code does it (cvttsd2si; out of range → 2^63). */
function toUint64(d: number): bigint {
  if (Number.isNaN(d)) return 0n;
  if (d >= TWO63F) {
    // cvttsd2si(d - 2^63) ^ 2^63: out of range gives 2^63 ^ 2^63 = 0
    if (d >= TWO64F) return 0n;
    return BigInt(Math.trunc(d));
  }
  if (d <= -TWO63F) return 1n << 63n;
  const t = BigInt(Math.trunc(d));
  return t < 0n ? t + TWO64 : t;
}

/**
 * The cell (step 26) a stored score stands for (decodeGeohash's `(uint64_t)score` and
 * deinterleave64). Pathological scores (negative, ≥ 2^52, fractional) decode as C does.
 */
export function scoreToCell(score: number): GeoCell {
  if (score >= 0 && score < TWO52) {
    const s = Math.trunc(score);
    const hi = Math.floor(s / 67108864);
    const lo = s - hi * 67108864;
    return {
      lat: squash13(hi) * 8192 + squash13(lo),
      lon: squash13(hi >>> 1) * 8192 + squash13(lo >>> 1),
      step: GEO_STEP_MAX,
    };
  }
  const bits = toUint64(score);
  let lat = 0n;
  let lon = 0n;
  for (let i = 0n; i < 32n; i++) {
    lat |= ((bits >> (2n * i)) & 1n) << i;
    lon |= ((bits >> (2n * i + 1n)) & 1n) << i;
  }
  return { lat: Number(lat), lon: Number(lon), step: GEO_STEP_MAX };
}

const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;
const LON_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;
const DIV26 = 2 ** GEO_STEP_MAX;

/**
 * decodeGeohash: the [longitude, latitude] centre of a stored score's cell, clamped to the limits
 * (geohashDecode + geohashDecodeAreaToLongLat), written to `out`.
 */
export function decodeScoreInto(score: number, out: Float64Array | number[]): void {
  let ilat: number;
  let ilon: number;
  if (score >= 0 && score < TWO52) {
    const s = Math.trunc(score);
    const hi = Math.floor(s / 67108864);
    const lo = s - hi * 67108864;
    ilat = squash13(hi) * 8192 + squash13(lo);
    ilon = squash13(hi >>> 1) * 8192 + squash13(lo >>> 1);
  } else {
    const c = scoreToCell(score);
    ilat = c.lat;
    ilon = c.lon;
  }
  const latMin = GEO_LAT_MIN + (ilat / DIV26) * LAT_SCALE;
  const latMax = GEO_LAT_MIN + (((ilat + 1) >>> 0) / DIV26) * LAT_SCALE;
  const lonMin = GEO_LONG_MIN + (ilon / DIV26) * LON_SCALE;
  const lonMax = GEO_LONG_MIN + (((ilon + 1) >>> 0) / DIV26) * LON_SCALE;
  let x = (lonMin + lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  out[0] = x;
  out[1] = y;
}

/** decodeScoreInto as a new [longitude, latitude] pair. */
export function decodeScore(score: number): [number, number] {
  const xy: [number, number] = [0, 0];
  decodeScoreInto(score, xy);
  return xy;
}

/** The score GEOADD stores for a valid (lon, lat): the step-26 cell, 52-bit aligned. */
export function encodeScore(lon: number, lat: number): GeoCell {
  return geohashEncode(lon, lat, GEO_STEP_MAX) as GeoCell;
}

/** GEOHASH's 11-char base32 string of a stored score (re-encoded over standard latitudes ±90). */
export function geohashString(score: number): string {
  const [x, y] = decodeScore(score);
  const c = geohashEncode(x, y, 26, -180, 180, -90, 90);
  const alphabet = '0123456789bcdefghjkmnpqrstuvwxyz';
  const bits = c === null ? 0n : cellScoreBig(c); // step 26: aligned = raw 52 bits
  let out = '';
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += alphabet[idx];
  }
  return out;
}

// ---- correctly rounded sin/cos/asin ----------------------------------------------------------
// glibc's sin, cos and asin (which redis-server calls) return the correctly rounded result on
// practically every input, while V8's fdlibm ports are off by one ulp on a few percent of inputs,
// which shows in STOREDIST scores and at search boundaries. These evaluate in double-double
// arithmetic (~106 bits) and round once.

let ddHi = 0;
let ddLo = 0;

/** Veltkamp split constant 2^27 + 1. */
const SPLIT = 134217729;

/** (ah + al) * (bh + bl) into ddHi/ddLo (Dekker's product without FMA). */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  let t = SPLIT * ah;
  const ahh = t - (t - ah);
  const ahl = ah - ahh;
  t = SPLIT * bh;
  const bhh = t - (t - bh);
  const bhl = bh - bhh;
  let e = ahh * bhh - p + ahh * bhl + ahl * bhh + ahl * bhl;
  e += ah * bl + al * bh;
  ddHi = p + e;
  ddLo = e - (ddHi - p);
}

/** (ah + al) + (bh + bl) into ddHi/ddLo. */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const bb = s - ah;
  const e = ah - (s - bb) + (bh - bb) + al + bl;
  ddHi = s + e;
  ddLo = e - (ddHi - s);
}

/** 1/((2n)(2n+1)) and 1/((2n-1)(2n)) as double-doubles, n = 1..15 (Taylor coefficients ratios). */
const SIN_R: number[] = [];
const COS_R: number[] = [];
for (let n = 1; n <= 15; n++) {
  for (const [arr, den] of [
    [SIN_R, 2 * n * (2 * n + 1)],
    [COS_R, (2 * n - 1) * (2 * n)],
  ] as [number[], number][]) {
    const q = 1 / den;
    ddMul(q, 0, den, 0); // q*den = 1 + err
    arr.push(q, -(ddHi - 1 + ddLo) / den);
  }
}
/** π/2 as a double-double. */
const PIO2_HI = 1.5707963267948966;
const PIO2_LO = 6.123233995736766e-17;

/** sin (k odd: cos) of the dd r, |r| ≤ π/4, by Horner's scheme on the Taylor series; into ddHi/ddLo. */
function ddSinCosReduced(rh: number, rl: number, cosine: boolean): void {
  // r2 = r * r (Dekker, inlined: this runs for every candidate point of a search)
  let t = SPLIT * rh;
  const rhh = t - (t - rh);
  const rhl = rh - rhh;
  let p = rh * rh;
  let e = rhh * rhh - p + 2 * rhh * rhl + rhl * rhl + 2 * rh * rl;
  const r2h = p + e;
  const r2l = e - (r2h - p);
  t = SPLIT * r2h;
  const r2hh = t - (t - r2h);
  const r2hl = r2h - r2hh;
  const R = cosine ? COS_R : SIN_R;
  let sh = 1;
  let sl = 0;
  for (let n = 13; n >= 0; n--) {
    // m = r2 * s
    t = SPLIT * sh;
    let bh = t - (t - sh);
    let bl = sh - bh;
    p = r2h * sh;
    e = r2hh * bh - p + r2hh * bl + r2hl * bh + r2hl * bl + (r2h * sl + r2l * sh);
    let mh = p + e;
    let ml = e - (mh - p);
    // m = m * R[n]
    const qh = R[2 * n];
    const ql = R[2 * n + 1];
    t = SPLIT * mh;
    bh = t - (t - mh);
    bl = mh - bh;
    t = SPLIT * qh;
    const ch = t - (t - qh);
    const cl = qh - ch;
    p = mh * qh;
    e = bh * ch - p + bh * cl + bl * ch + bl * cl + (mh * ql + ml * qh);
    mh = p + e;
    ml = e - (mh - p);
    // s = 1 - m
    const s0 = 1 - mh;
    const bb = s0 - 1;
    e = 1 - (s0 - bb) + (-mh - bb) - ml;
    sh = s0 + e;
    sl = e - (sh - s0);
  }
  if (!cosine) ddMul(sh, sl, rh, rl);
  else {
    ddHi = sh;
    ddLo = sl;
  }
}

/** sin(x) (cosine false) or cos(x) correctly rounded (|x| < ~1e9; used with |x| ≤ 2π). */
function crSinCos(x: number, cosine: boolean): number {
  if (x === 0) return cosine ? 1 : x;
  const k = Math.round(x / PIO2_HI);
  let rh = x;
  let rl = 0;
  if (k !== 0) {
    ddMul(k, 0, PIO2_HI, PIO2_LO);
    ddAdd(x, 0, -ddHi, -ddLo);
    rh = ddHi;
    rl = ddLo;
  }
  const q = (((k % 4) + 4) % 4) + (cosine ? 1 : 0);
  ddSinCosReduced(rh, rl, q % 2 === 1);
  const v = ddHi + ddLo;
  return q % 4 >= 2 ? -v : v;
}

/** Correctly rounded sin. */
export function crSin(x: number): number {
  return crSinCos(x, false);
}
/** Correctly rounded cos. */
export function crCos(x: number): number {
  return crSinCos(x, true);
}

/** Correctly rounded asin for s in [-1, 1]: one Newton step from Math.asin in double-double. */
export function crAsin(s: number): number {
  const y0 = Math.asin(s);
  if (s === 0 || s === 1 || s === -1 || Number.isNaN(y0)) return y0;
  const k = Math.round(y0 / PIO2_HI);
  let rh = y0;
  let rl = 0;
  if (k !== 0) {
    ddMul(k, 0, PIO2_HI, PIO2_LO);
    ddAdd(y0, 0, -ddHi, -ddLo);
    rh = ddHi;
    rl = ddLo;
  }
  const q = ((k % 4) + 4) % 4;
  ddSinCosReduced(rh, rl, q % 2 === 1);
  let sh = ddHi;
  let sl = ddLo;
  if (q >= 2) {
    sh = -sh;
    sl = -sl;
  }
  ddAdd(sh, sl, -s, 0);
  const delta = ddHi + ddLo;
  return y0 - delta / Math.cos(y0);
}

/** geohashGetDistance (Redis 7.0): haversine great-circle distance in metres (correctly rounded libm). */
export function geoDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = crSin((lat2r - lat1r) / 2);
  const v = crSin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * crAsin(Math.sqrt(u * u + crCos(lat1r) * crCos(lat2r) * v * v));
}

/** geoDistance with V8's libm (within a few ulps of it): a fast pre-filter for searches. */
function geoDistanceFast(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

/** Relative band around a search limit inside which the fast distance is not trusted. */
const BAND = 1e-9;

/**
 * `dist > limit` as C computes it: decided by the fast distance away from the limit, by the
 * correctly rounded one within a 1e-9 relative band of it.
 */
function beyond(limit: number, lon1: number, lat1: number, lon2: number, lat2: number): boolean {
  const f = geoDistanceFast(lon1, lat1, lon2, lat2);
  if (f > limit * (1 + BAND)) return true;
  if (f < limit * (1 - BAND)) return false;
  return geoDistance(lon1, lat1, lon2, lat2) > limit;
}

/** A search shape (GeoShape): centre, radius or box (in `conversion` units), unit → metres factor. */
export interface GeoShape {
  lon: number;
  lat: number;
  /** true: BYRADIUS (radius); false: BYBOX (width x height). */
  circular: boolean;
  radius: number;
  width: number;
  height: number;
  conversion: number;
}

/**
 * Whether a point is inside the shape (geoWithinShape with geohashGetDistanceIfInRadiusWGS84 /
 * Redis 7.0 geohashGetDistanceIfInRectangle). @returns the distance to the centre in metres as
 * V8's libm computes it (callers needing Redis's exact double use geoDistance), or -1.
 */
export function distanceIfWithin(s: GeoShape, x: number, y: number): number {
  if (s.circular) {
    const limit = s.radius * s.conversion;
    const f = geoDistanceFast(s.lon, s.lat, x, y);
    if (f > limit * (1 + BAND)) return -1;
    if (f < limit * (1 - BAND)) return f;
    return geoDistance(s.lon, s.lat, x, y) > limit ? -1 : f;
  }
  const widthM = s.width * s.conversion;
  const heightM = s.height * s.conversion;
  if (beyond(widthM / 2, x, y, s.lon, y) || beyond(heightM / 2, x, y, x, s.lat)) return -1;
  return geoDistanceFast(s.lon, s.lat, x, y);
}

/** geohashEstimateStepsByRadius: cell bits so 9 cells cover `rangeMeters` around latitude `lat`. */
export function estimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat] of the shape in degrees. */
export function boundingBox(s: GeoShape): [number, number, number, number] {
  const height = s.conversion * (s.circular ? s.radius : s.height / 2);
  const width = s.conversion * (s.circular ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / crCos(degRad(s.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / crCos(degRad(s.lat - latDelta)));
  const south = s.lat < 0;
  return [
    south ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop,
    s.lat - latDelta,
    south ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop,
    s.lat + latDelta,
  ];
}

/**
 * geohash_move_x/geohash_move_y: the cell dLon/dLat (-1, 0, 1) away, wrapping modulo 2^step. A
 * coordinate that does not move keeps its bits unmasked, as in C.
 */
function moved(c: GeoCell, dLon: number, dLat: number): GeoCell {
  const mod = 2 ** c.step;
  return {
    lat: dLat === 0 ? c.lat : (c.lat + dLat + mod) % mod,
    lon: dLon === 0 ? c.lon : (c.lon + dLon + mod) % mod,
    step: c.step,
  };
}

const ZERO_CELL: GeoCell = { lat: 0, lon: 0, step: 0 };

/**
 * geohashCalculateAreasByShapeWGS84: the centre cell and its 8 neighbours that cover the shape,
 * in membersOfAllNeighbors order (centre, N, S, E, W, NE, NW, SE, SW); useless ones are step 0.
 */
export function areasByShape(s: GeoShape): GeoCell[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  let radiusMeters = s.circular ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radiusMeters *= s.conversion;
  let steps = estimateStepsByRadius(radiusMeters, s.lat);
  let hash = geohashEncode(s.lon, s.lat, steps) ?? { lat: 0, lon: 0, step: steps };
  let decrease = false;
  {
    const north = geohashDecode(moved(hash, 0, 1));
    const south = geohashDecode(moved(hash, 0, -1));
    const east = geohashDecode(moved(hash, 1, 0));
    const west = geohashDecode(moved(hash, -1, 0));
    if (north.latMax < maxLat) decrease = true;
    if (south.latMin > minLat) decrease = true;
    if (east.lonMax < maxLon) decrease = true;
    if (west.lonMin > minLon) decrease = true;
  }
  if (steps > 1 && decrease) {
    steps--;
    hash = geohashEncode(s.lon, s.lat, steps) ?? { lat: 0, lon: 0, step: steps };
  }
  const area = geohashDecode(hash);
  let n = moved(hash, 0, 1);
  let so = moved(hash, 0, -1);
  let e = moved(hash, 1, 0);
  let w = moved(hash, -1, 0);
  let ne = moved(hash, 1, 1);
  let nw = moved(hash, -1, 1);
  let se = moved(hash, 1, -1);
  let sw = moved(hash, -1, -1);
  if (steps >= 2) {
    if (area.latMin < minLat) so = se = sw = ZERO_CELL;
    if (area.latMax > maxLat) n = ne = nw = ZERO_CELL;
    if (area.lonMin < minLon) w = sw = nw = ZERO_CELL;
    if (area.lonMax > maxLon) e = se = ne = ZERO_CELL;
  }
  return [hash, n, so, e, w, ne, nw, se, sw];
}

// ---- C number formatting -------------------------------------------------------------------

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/**
 * C `printf("%.<digits>f", d)` (also `%.<digits>Lf` of a double widened to long double): the exact
 * binary value rounded half-to-even, as glibc prints it; `inf`, `-inf`, `nan`, `-nan`.
 */
export function formatFixed(d: number, digits: number): string {
  F64[0] = d;
  const neg = U32[1] >>> 31 === 1;
  if (Number.isNaN(d)) return neg ? '-nan' : 'nan';
  if (!Number.isFinite(d)) return neg ? '-inf' : 'inf';
  const hi = U32[1] & 0xfffff;
  const bexp = (U32[1] >>> 20) & 0x7ff;
  let mant = (BigInt(hi) << 32n) | BigInt(U32[0]);
  let e: number;
  if (bexp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  const scale = 10n ** BigInt(digits);
  let n: bigint;
  if (e >= 0) n = (mant << BigInt(e)) * scale;
  else {
    const num = mant * scale;
    const den = 1n << BigInt(-e);
    n = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && (n & 1n) === 1n)) n++;
  }
  let s = n.toString();
  if (digits > 0) {
    if (s.length <= digits) s = '0'.repeat(digits - s.length + 1) + s;
    s = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  }
  return neg ? `-${s}` : s;
}

/**
 * ld2string(LD_STR_HUMAN) of a double: `%.17Lf` with trailing zeros (and a bare dot) removed, "-0"
 * shown as "0" (Redis 7.0 util.c; GEOPOS/WITHCOORD coordinates).
 */
export function formatHuman(d: number): string {
  if (d === Number.POSITIVE_INFINITY) return 'inf';
  if (d === Number.NEGATIVE_INFINITY) return '-inf';
  let s = formatFixed(d, 17);
  if (s.includes('.')) {
    let l = s.length;
    while (s.charCodeAt(l - 1) === 48) l--;
    if (s.charCodeAt(l - 1) === 46) l--;
    s = s.slice(0, l);
  }
  return s === '-0' ? '0' : s;
}
