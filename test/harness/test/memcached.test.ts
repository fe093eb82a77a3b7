import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startMemcached, tcpExchange } from '../src/index.js';

describe('startMemcached', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startMemcached({ memoryMb: 16 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stores and returns a value over a raw socket', async () => {
    const stored = await tcpExchange(server.port, 'set greeting 5 0 5\r\nhello\r\n', (r) =>
      r.endsWith('\r\n'),
    );
    expect(stored).toBe('STORED\r\n');
    const got = await tcpExchange(server.port, 'get greeting\r\n', (r) => r.endsWith('END\r\n'));
    expect(got).toBe('VALUE greeting 5 5\r\nhello\r\nEND\r\n');
  });

  it('runs with the requested memory limit', async () => {
    const stats = await tcpExchange(server.port, 'stats settings\r\n', (r) => r.endsWith('END\r\n'));
    expect(stats).toContain(`STAT maxbytes ${16 * 1024 * 1024}\r\n`);
    expect(stats).toContain('STAT udpport 0\r\n');
  });

  it('is gone after kill()', async () => {
    const victim = await startMemcached();
    await victim.kill();
    await expect(tcpExchange(victim.port, 'version\r\n', (r) => r.endsWith('\r\n'))).rejects.toThrow();
    await victim.stop();
  });
});
