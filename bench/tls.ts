/**
 * Scenario 8 of `npm run bench` (`--only 8`): TLS. Keydra and redis-server 7.0 each listen on a
 * plain port and a TLS port (tls-port, certificates made with openssl as Redis's
 * utils/gen-test-certs.sh makes them, in a temp dir); `redis-benchmark --tls` runs SET and GET at
 * -P 1 and -P 16 (50 clients, random keys) against the TLS ports, servers interleaved, medians of
 * `--reps`. The ratio is Keydra/Redis, as in the other scenarios; the TLS cost itself is visible
 * against scenario 1's plain numbers.
 */
import { hasOpenssl, makeCA, signCert } from '../scripts/lib/testCerts.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, row, type Row, type Table } from './lib/report.js';
import { runRedisBenchmark } from './lib/rbench.js';
import { freePort, type ServerKind, startServer } from './lib/servers.js';

/** The options of bench/run.ts this scenario reads. */
export interface TlsBenchOptions {
  quick: boolean;
  reps: number;
}

/** CA, server and client certificates (2048-bit RSA) in a temp dir; null when openssl is missing. */
function makeCerts(): { dir: string; ca: string; crt: string; key: string; clientCrt: string; clientKey: string } | null {
  if (!hasOpenssl()) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tls-'));
  makeCA(dir, '/CN=Bench CA', 30);
  for (const name of ['server', 'client']) signCert(dir, name, `/CN=${name}`, [], 30);
  const f = (n: string) => path.join(dir, n);
  return { dir, ca: f('ca.crt'), crt: f('server.crt'), key: f('server.key'), clientCrt: f('client.crt'), clientKey: f('client.key') };
}

/** Runs the scenario; a string when it cannot run (no openssl). */
export async function scenarioTls(o: TlsBenchOptions, progress: (msg: string) => void): Promise<Table | string> {
  const certs = makeCerts();
  if (certs === null) return '8. TLS: skipped — openssl is not installed.';
  const kinds: ServerKind[] = ['keydra', 'redis'];
  const tlsPorts: Record<ServerKind, number> = { keydra: await freePort(), redis: await freePort() };
  const servers = [];
  for (const kind of kinds) {
    servers.push(
      await startServer(kind, [
        '--tls-port',
        String(tlsPorts[kind]),
        '--tls-cert-file',
        certs.crt,
        '--tls-key-file',
        certs.key,
        '--tls-ca-cert-file',
        certs.ca,
      ]),
    );
  }
  const extraArgs = ['--tls', '--cacert', certs.ca, '--cert', certs.clientCrt, '--key', certs.clientKey];
  const requests = o.quick ? 50_000 : 200_000;
  const rows: Row[] = [];
  try {
    for (const pipeline of [1, 16]) {
      for (const t of [
        { t: 'set', row: 'SET' },
        { t: 'get', row: 'GET' },
      ]) {
        const res: Record<ServerKind, (number | null)[]> = { keydra: [], redis: [] };
        for (let rep = 0; rep < o.reps; rep++) {
          for (const s of servers) {
            progress(`8 TLS ${t.row} -P ${pipeline} ${s.kind} (${rep + 1}/${o.reps})`);
            const r = await runRedisBenchmark(tlsPorts[s.kind], t, {
              clients: 50,
              pipeline,
              requests: requests * (pipeline === 16 ? 4 : 1),
              keyspace: 100_000,
              extraArgs,
            });
            res[s.kind].push(r.rps);
          }
        }
        rows.push(row(`${t.row} -P ${pipeline} (TLS)`, median(res.keydra), median(res.redis), 'req/s'));
      }
    }
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  }
  return {
    scenario: '8. TLS: redis-benchmark --tls',
    description: `Requests per second (median of ${o.reps}); \`redis-benchmark --tls -c 50 -P {1,16} -r 100000 -t set,get\` against each server's tls-port (TLSv1.3, RSA 2048 certificates, client certificates required).`,
    rows,
    notes: [],
  };
}
