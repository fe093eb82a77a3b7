import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findBinary, freePort, selfSignedCert, waitFor } from '../src/index.js';

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    server.close();
    expect(port).toBeGreaterThan(0);
  });
});

describe('selfSignedCert', () => {
  it('creates a matching key and certificate for the CN', async () => {
    const { key, cert, keyPath, certPath } = await selfSignedCert('db.test');
    const x509 = new X509Certificate(cert);
    expect(x509.subject).toContain('CN=db.test');
    expect(x509.subjectAltName).toContain('DNS:localhost');
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(keyPath).toMatch(/key\.pem$/);
    expect(certPath).toMatch(/cert\.pem$/);
  });
});

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let calls = 0;
    expect(await waitFor(() => (++calls >= 3 ? calls : 0), { interval: 1 })).toBe(3);
  });

  it('names what it waited for when it times out', async () => {
    await expect(waitFor(() => false, { timeout: 50, what: 'the moon' })).rejects.toThrow(
      'timed out after 50ms waiting for the moon',
    );
  });
});

describe('findBinary', () => {
  it('names the binary and the Debian package when it is missing', () => {
    expect(() => findBinary('no-such-server-binary', 'no-such-package')).toThrow(
      /'no-such-server-binary' was not found.*apt-get install no-such-package/,
    );
  });
});
