import { type AddressInfo, createServer } from 'node:net';
import { type RunningServer, startMemcached } from '@scalestack/test-harness';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedBackend, MemcachedProxy, ServerPool } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './proxy-fixture.js';
import { TextClient } from './text-client.js';

/**
 * The proxy over three servers must answer exactly as one memcached does, for any pipelined
 * sequence of commands (cas uniques aside, which differ between servers by design).
 */
describe('memcached-proxy answers like a single memcached', () => {
  let fx: ProxyFixture;
  let reference: RunningServer;
  let viaProxy: TextClient;
  let direct: TextClient;

  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 3 });
    reference = await startMemcached();
    viaProxy = await TextClient.connect(fx.port);
    direct = await TextClient.connect(reference.port);
  });
  afterAll(async () => {
    viaProxy?.close();
    direct?.close();
    await fx?.stop();
    await reference?.stop();
  });

  const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'n1', 'n2');
  const value = fc.oneof(
    fc.constantFrom('0', '7', '42', '18446744073709551615'),
    fc.stringMatching(/^[a-z0-9]{0,12}$/),
  );
  const noreply = fc.boolean().map((b) => (b ? ' noreply' : ''));
  const command = fc.oneof(
    fc
      .tuple(fc.constantFrom('set', 'add', 'replace', 'append', 'prepend'), key, fc.nat(99), value, noreply)
      .map(([c, k, f, v, nr]) => `${c} ${k} ${f} 0 ${v.length}${nr}\r\n${v}\r\n`),
    fc.array(key, { minLength: 1, maxLength: 6 }).map((keys) => `get ${keys.join(' ')}\r\n`),
    fc.tuple(key, noreply).map(([k, nr]) => `delete ${k}${nr}\r\n`),
    fc
      .tuple(fc.constantFrom('incr', 'decr'), key, fc.constantFrom('1', '5', '18446744073709551615'), noreply)
      .map(([c, k, d, nr]) => `${c} ${k} ${d}${nr}\r\n`),
    fc.tuple(key, noreply).map(([k, nr]) => `touch ${k} 1000${nr}\r\n`),
    // Meta commands, quiet (q: the uninteresting answer is left out) and not, with an opaque.
    fc
      .tuple(key, fc.constantFrom('', ' v', ' v f', ' k', ' s'), fc.constantFrom('', ' q', ' q O7'))
      .map(([k, f, q]) => `mg ${k}${f}${q}\r\n`),
    fc
      .tuple(
        key,
        value,
        fc.constantFrom('', ' MS', ' ME', ' MR', ' MA', ' MP', ' I'),
        fc.constantFrom('', ' q'),
      )
      .map(([k, v, m, q]) => `ms ${k} ${v.length}${m}${q}\r\n${v}\r\n`),
    fc.tuple(key, fc.constantFrom('', ' q', ' q k')).map(([k, q]) => `md ${k}${q}\r\n`),
    fc
      .tuple(key, fc.constantFrom('', ' v', ' N0 J3 v', ' MD', ' D5 v', ' N0 v t'), fc.constantFrom('', ' q'))
      .map(([k, f, q]) => `ma ${k}${f}${q}\r\n`),
    fc.constantFrom(
      'bogus\r\n',
      'get\r\n',
      'set x 0 0 nope\r\n',
      'mg a v f\r\n',
      'ms b 2 F3\r\nhi\r\n',
      'md c\r\n',
      'ma n1 N0 J3\r\n',
      // Refused commands with noreply (memcached answers none of them), and storage lines with
      // a token too many (stored) and two too many (refused; the value read as commands).
      'set a 0 0 5 noreply\r\nhello!!',
      'incr n1 abc noreply\r\n',
      'delete a 5 noreply\r\n',
      `touch ${'k'.repeat(251)} 10 noreply\r\n`,
      'set b 0 0 8 junk\r\ndelete x\r\n',
      'set b 0 0 8 j k\r\ndelete x\r\n',
      'flush_all abc noreply\r\n',
      'flush_all abc\r\n',
      'verbosity abc noreply\r\n',
      'verbosity abc\r\n',
      'touch a abc\r\n',
      'gat abc a\r\n',
    ),
  );

  // Both sides end with a sentinel get whose reply marks the end of the batch.
  const run = async (client: TextClient, batch: string) => {
    client.write(`${batch}get sentinel\r\n`);
    return client.read((t) =>
      t.endsWith('END\r\n') && /(^|\r\n)END\r\n$/.test(t) && t.includes('sentinel-end') ? t.length : 0,
    );
  };

  it('leaves out what memcached leaves out in quiet mode, which depends on what the server found', async () => {
    // ma q: an increment is quiet, a created item (N) is not; mg q: a miss is quiet; ms/md q:
    // success is quiet, NS / NF are not.
    const batch = [
      'ms qn 1\r\n5\r\n',
      'ma qn q v\r\n',
      'ma qn q\r\n',
      'ma qnew1 N0 J3 q v\r\n',
      'ma qnew2 N0 J3 q\r\n',
      'ma qmissing q\r\n',
      'ma qmissing q v O9\r\n',
      'mg qmissing v q k\r\n',
      'mg qn v q k\r\n',
      'ms qn 1 ME q\r\n6\r\n',
      'ms qn 1 MR q\r\n7\r\n',
      'md qmissing q\r\n',
      'md qn q\r\n',
      'mn\r\n',
    ].join('');
    const answers: string[] = [];
    for (const c of [viaProxy, direct]) {
      c.write('md qn q\r\nmd qnew1 q\r\nmd qnew2 q\r\n');
      c.write(batch);
      answers.push(await c.until('MN'));
    }
    expect(answers[0]).toBe(answers[1]);
    expect(answers[1]).toContain('VA 1'); // memcached's own answer for the created item
  });

  it('gives byte-identical replies for random pipelined command sequences', async () => {
    for (const c of [viaProxy, direct])
      expect(await c.call('set sentinel 0 0 12\r\nsentinel-end\r\n')).toBe('STORED');
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        for (const c of [viaProxy, direct]) {
          c.write(
            'delete a noreply\r\ndelete b noreply\r\ndelete c noreply\r\ndelete d noreply\r\ndelete e noreply\r\n',
          );
          c.write(
            'delete f noreply\r\ndelete g noreply\r\ndelete h noreply\r\ndelete n1 noreply\r\ndelete n2 noreply\r\n',
          );
        }
        const batch = commands.join('');
        const [proxied, expected] = await Promise.all([run(viaProxy, batch), run(direct, batch)]);
        expect(proxied).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });
});

describe('quiet meta commands to a server without meta commands', () => {
  it('its ERROR answers the command, the mn behind it is not taken for the next reply', async () => {
    // memcached before 1.6 answers ERROR to mg and to mn alike; Debian has only 1.6, so a
    // stand-in that answers every line so plays that server.
    const old = createServer((socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        for (let nl = buffered.indexOf('\r\n'); nl >= 0; nl = buffered.indexOf('\r\n')) {
          buffered = buffered.slice(nl + 2);
          socket.write('ERROR\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    const pool = new ServerPool(
      [{ host: '127.0.0.1', port: (old.address() as AddressInfo).port }],
      { serverFailureLimit: 0, serverRetryTimeout: 1000 },
      { connectTimeout: 1000, timeout: 5000, maxValueSize: 1 << 20 },
    );
    const proxy = new MemcachedProxy({ backend: new MemcachedBackend(pool) });
    try {
      const c = await TextClient.connect(await proxy.listen(0));
      c.write('mg k v q\r\nget k\r\n');
      expect(await c.lines(2)).toBe('ERROR\r\nERROR\r\n');
      c.close();
    } finally {
      await proxy.close();
      await new Promise((resolve) => old.close(resolve));
    }
  });
});
