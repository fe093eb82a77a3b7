import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * What is wrong with `tls_key` and `tls_cert` taken together: one without the other, a file
 * that holds no PEM key or certificate, or a certificate that is not the key's. Checked with the
 * other options (`scalestack check` finds it): a file that merely existed passed, the proxy
 * started offering TLS, and every TLS client was dropped at its handshake.
 */
export function checkTlsFiles(options: {
  tls_key?: string | undefined;
  tls_cert?: string | undefined;
}): string[] {
  const { tls_key: keyFile, tls_cert: certFile } = options;
  if (keyFile === undefined && certFile === undefined) return [];
  if (keyFile === undefined || certFile === undefined) {
    const [set, unset] = keyFile === undefined ? ['tls_cert', 'tls_key'] : ['tls_key', 'tls_cert'];
    return [
      `options tls_key and tls_cert go together (PEM file paths, both or neither): ${set} is set, ${unset} is not`,
    ];
  }
  const problems: string[] = [];
  let key: ReturnType<typeof createPrivateKey> | undefined;
  let cert: X509Certificate | undefined;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (err) {
    problems.push(`option tls_key: ${keyFile} holds no private key PEM can read (${reason(err)})`);
  }
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch (err) {
    problems.push(`option tls_cert: ${certFile} holds no PEM certificate (${reason(err)})`);
  }
  if (key !== undefined && cert !== undefined && !cert.checkPrivateKey(key)) {
    problems.push(
      `options tls_key and tls_cert: the certificate in ${certFile} is not for the key in ${keyFile}`,
    );
  }
  return problems;
}

function reason(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
