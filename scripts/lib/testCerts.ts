/**
 * Test certificates made with the `openssl` command, as Redis's utils/gen-test-certs.sh makes them
 * (2048-bit RSA keys, SHA-256): a CA, then keys and certificates it signs. Used by the TLS tests,
 * the TLS bench scenario and `npm run test:redis-suite -- --tls`. Tooling only, never the server.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** True when the openssl command can run. */
export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

/** Runs `openssl args` in `dir`. @throws Error with openssl's stderr when it fails. */
export function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A self-signed CA in `dir`: ca.key and ca.crt, subject e.g. `/O=Redis Test/CN=Certificate Authority`. */
export function makeCA(dir: string, subject: string, days = 3650): void {
  mkdirSync(dir, { recursive: true });
  openssl(dir, ['genrsa', '-out', 'ca.key', '2048']);
  openssl(dir, ['req', '-x509', '-new', '-nodes', '-sha256', '-key', 'ca.key', '-days', String(days), '-subj', subject, '-out', 'ca.crt']);
}

/**
 * `<name>.key` and `<name>.crt` in `dir`, signed by its CA (makeCA); `extra` goes to `openssl x509`
 * (e.g. `-extfile openssl.cnf -extensions client_cert`).
 */
export function signCert(dir: string, name: string, subject: string, extra: string[] = [], days = 365): void {
  openssl(dir, ['genrsa', '-out', `${name}.key`, '2048']);
  openssl(dir, ['req', '-new', '-sha256', '-subj', subject, '-key', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, [
    'x509',
    '-req',
    '-sha256',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    String(days),
    ...extra,
    '-out',
    `${name}.crt`,
  ]);
}
