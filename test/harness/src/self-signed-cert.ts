import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';

const execFileAsync = promisify(execFile);

/** A self-signed certificate and its key, as PEM strings and as files. */
export interface SelfSignedCert {
  readonly key: string;
  readonly cert: string;
  readonly keyPath: string;
  readonly certPath: string;
}

/**
 * Creates a self-signed certificate (EC P-256, valid one day) for `cn`, with `cn`, `localhost`
 * and 127.0.0.1 as subject alternative names, using the `openssl` CLI. The files live under
 * `<tmpdir>/scalestack-certs` (test runners may kill workers before any exit hook runs, so each
 * call prunes files older than a day instead).
 */
export async function selfSignedCert(cn = 'localhost'): Promise<SelfSignedCert> {
  const openssl = findBinary('openssl', 'openssl');
  const root = join(tmpdir(), 'scalestack-certs');
  mkdirSync(root, { recursive: true });
  pruneOld(root);
  const dir = mkdtempSync(join(root, 'cert-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const names = [...new Set([`DNS:${cn}`, 'DNS:localhost', 'IP:127.0.0.1'])].join(',');
  await execFileAsync(openssl, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    `subjectAltName=${names}`,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]).catch((err: Error & { stderr?: string }) => {
    throw new Error(
      `test-harness: openssl could not create a certificate for ${cn}: ${err.stderr ?? err.message}`,
    );
  });
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), keyPath, certPath };
}

function pruneOld(root: string): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // pruned concurrently
    }
  }
}
