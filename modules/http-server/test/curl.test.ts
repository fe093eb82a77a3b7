import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startHttp } from './support/start.js';
import { tenantsModule } from './support/tenants-module.js';

/** Runs the real curl; a missing binary fails the test (it is installed on CI). */
function curl(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'curl',
      ['--silent', '--show-error', '--max-time', '20', ...args],
      (error, stdout, stderr) => {
        if (error) reject(new Error(`curl ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

let s: Started;
beforeAll(async () => {
  s = await startHttp({}, [tenantsModule]);
});
afterAll(async () => {
  await s?.kernel.shutdown();
});

describe('http-server with curl', () => {
  it('sends 100 Continue before curl sends the body', async () => {
    // A long expect100 timeout: curl only sends the body because the server said 100 Continue.
    const { stdout, stderr } = await curl([
      '--verbose',
      '--expect100-timeout',
      '15',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      'payload from curl',
      `${s.url}/echo`,
    ]);
    expect(stderr).toContain('< HTTP/1.1 100 Continue');
    expect(stderr).toContain('< HTTP/1.1 200 OK');
    expect(stdout).toBe('payload from curl');
  });

  it('reuses one kept-alive connection for several URLs', async () => {
    const { stdout, stderr } = await curl(['--verbose', `${s.url}/healthz`, `${s.url}/tenants/curl`]);
    expect(stdout).toBe(`ok\n${JSON.stringify({ tenant: 'curl', query: '' })}`);
    expect(stderr).toMatch(/Re-using existing connection/i);
  });

  it('uploads a chunked body from stdin', async () => {
    const body = 'x'.repeat(100_000);
    const { stdout } = await curl(
      ['-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', `${s.url}/echo`],
      body,
    );
    expect(stdout).toBe(body);
  });

  it('gets headers only for HEAD (-I) and 405 with Allow', async () => {
    const head = await curl(['-I', `${s.url}/healthz`]);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.stdout).toMatch(/Content-Length: 3\r\n/);
    const wrong = await curl(['-i', '-X', 'DELETE', `${s.url}/healthz`]);
    expect(wrong.stdout).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(wrong.stdout).toMatch(/Allow: GET, HEAD, OPTIONS\r\n/);
  });
});
