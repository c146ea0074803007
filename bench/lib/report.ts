/** Result tables for the bench suite: console and Markdown rendering, number formatting. */

/** One row: a label and one value per column (null = n/a); `note` explains an n/a. */
export interface Row {
  name: string;
  keydra: number | null;
  redis: number | null;
  /** Keydra/Redis, computed from the two values. */
  ratio: number | null;
  unit: string;
  note?: string;
}

export interface Table {
  scenario: string;
  description: string;
  rows: Row[];
  notes: string[];
}

export function row(name: string, keydra: number | null, redis: number | null, unit: string, note?: string): Row {
  const ratio = keydra !== null && redis !== null && redis !== 0 ? keydra / redis : null;
  return { name, keydra, redis, ratio, unit, note };
}

export function fmt(v: number | null, unit = ''): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  let s: string;
  if (Math.abs(v) >= 1000) s = Math.round(v).toLocaleString('en-US');
  else if (Math.abs(v) >= 10) s = v.toFixed(1);
  else s = v.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

/** Renders a table as Markdown (also what the console shows). */
export function markdown(t: Table): string {
  const lines = [`### ${t.scenario}`, '', t.description, '', '| | Keydra | Redis | Keydra/Redis |', '|---|---:|---:|---:|'];
  for (const r of t.rows) {
    const ratio = r.ratio === null ? 'n/a' : r.ratio.toFixed(2);
    const k = r.keydra === null && r.note ? `n/a (${r.note})` : fmt(r.keydra, r.unit);
    lines.push(`| ${r.name} | ${k} | ${fmt(r.redis, r.unit)} | ${ratio} |`);
  }
  for (const n of t.notes) lines.push('', n);
  return `${lines.join('\n')}\n`;
}

/** Median of a list of numbers (null entries ignored); null if none. */
export function median(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
