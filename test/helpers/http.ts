/**
 * HTTP helpers for the metrics port tests: a plain GET (no connection reuse) and a parser of the
 * Prometheus text exposition format 0.0.4 that checks the syntax as it reads.
 */
import http from 'node:http';

/** A complete HTTP response. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends one request to 127.0.0.1:`port` and reads the whole response.
 * @param opts.auth `user:password` for HTTP Basic; `host` overrides the Host header; `method` (GET).
 */
export function httpRequest(
  port: number,
  path: string,
  opts: { auth?: string; host?: string; method?: string } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Connection: 'close' };
    if (opts.host !== undefined) headers.Host = opts.host;
    const req = http.request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', auth: opts.auth, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A parsed exposition: sample value by series (`name{a="x",b="y"}` with labels sorted) and each family's TYPE. */
export interface Exposition {
  samples: Map<string, number>;
  types: Map<string, string>;
  /** Sample lines per metric name. */
  count(name: string): number;
  /** The value of `name{labels}` (labels in any order), undefined when absent. */
  get(name: string, labels?: Record<string, string>): number | undefined;
}

/** The series key of a name and labels (sorted by label name). */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

/**
 * Parses Prometheus text format 0.0.4.
 * @throws Error naming the line for a malformed sample, label set, value, a sample with no TYPE
 *   for its family, or the same series twice.
 */
export function parseExposition(text: string): Exposition {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const perName = new Map<string, number>();
  const family = (name: string) => {
    for (const suffix of ['_sum', '_count', '_bucket', '']) {
      if (suffix !== '' && name.endsWith(suffix) && types.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
    }
    return name;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(type)) throw new Error(`bad TYPE line: ${line}`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`malformed sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    if (!types.has(family(name))) throw new Error(`sample before its TYPE: ${line}`);
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== '') {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const lm = LABEL.exec(labelText);
        if (lm === null) throw new Error(`malformed labels: ${line}`);
        labels[lm[1]] = lm[2];
      }
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`bad value: ${line}`);
    const key = seriesKey(name, labels);
    if (samples.has(key)) throw new Error(`series twice: ${key}`);
    samples.set(key, value);
    perName.set(name, (perName.get(name) ?? 0) + 1);
  }
  return {
    samples,
    types,
    count: (name) => perName.get(name) ?? 0,
    get: (name, labels) => samples.get(seriesKey(name, labels)),
  };
}
