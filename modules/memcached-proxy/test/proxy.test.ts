import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysOn, type ProxyFixture, startProxyFixture } from './proxy-fixture.js';
import { TextClient } from './text-client.js';

describe('memcached-proxy over memcached servers', () => {
  let fx: ProxyFixture;
  let client: TextClient;

  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 3, maxValueSize: 1000 });
    client = await TextClient.connect(fx.port);
  });
  afterAll(async () => {
    client?.close();
    await fx?.stop();
  });

  it('stores each key on the server ketama picks', async () => {
    const direct = await Promise.all(fx.servers.map((s) => TextClient.connect(s.port)));
    for (let i = 0; i < 30; i++) {
      const key = `placed:${i}`;
      expect(await client.call(`set ${key} 7 0 2\r\nv${i % 10}\r\n`)).toBe('STORED');
      for (let s = 0; s < direct.length; s++) {
        direct[s]!.write(`get ${key}\r\n`);
        const reply = await direct[s]!.until('END');
        expect(reply.startsWith(`VALUE ${key} 7 2`)).toBe(s === fx.owner(key));
      }
    }
    for (const c of direct) c.close();
  });

  it('serves the storage, retrieval and arithmetic commands', async () => {
    expect(await client.call('set a 1 0 3\r\nabc\r\n')).toBe('STORED');
    expect(await client.call('add a 0 0 1\r\nx\r\n')).toBe('NOT_STORED');
    expect(await client.call('replace a 2 0 3\r\nxyz\r\n')).toBe('STORED');
    expect(await client.call('append a 0 0 2\r\n12\r\n')).toBe('STORED');
    expect(await client.call('prepend a 0 0 2\r\n00\r\n')).toBe('STORED');
    client.write('get a\r\n');
    expect(await client.until('END')).toBe('VALUE a 2 7\r\n00xyz12\r\nEND\r\n');
    client.write('gets a\r\n');
    const gets = await client.until('END');
    const cas = /^VALUE a 2 7 (\d+)\r\n/.exec(gets)![1];
    expect(await client.call(`cas a 3 0 1 ${cas}\r\nq\r\n`)).toBe('STORED');
    expect(await client.call(`cas a 3 0 1 ${cas}\r\nr\r\n`)).toBe('EXISTS');
    expect(await client.call('cas nokey 0 0 1 1\r\nr\r\n')).toBe('NOT_FOUND');
    expect(await client.call('set n 0 0 2\r\n10\r\n')).toBe('STORED');
    expect(await client.call('incr n 5')).toBe('15');
    expect(await client.call('decr n 100')).toBe('0');
    expect(await client.call('incr a 1')).toBe(
      'CLIENT_ERROR cannot increment or decrement non-numeric value',
    );
    expect(await client.call('touch a 100')).toBe('TOUCHED');
    expect(await client.call('touch nokey 100')).toBe('NOT_FOUND');
    client.write('gat 100 a\r\n');
    expect(await client.until('END')).toBe('VALUE a 3 1\r\nq\r\nEND\r\n');
    expect(await client.call('delete a')).toBe('DELETED');
    expect(await client.call('delete a')).toBe('NOT_FOUND');
    expect((await client.call('version')).startsWith('VERSION ')).toBe(true);
    expect(await client.call('verbosity 1')).toBe('OK');
  });

  it('splits a multi-key get over servers and answers in request order', async () => {
    const keys = [...keysOn(fx, 0, 3, 'm'), ...keysOn(fx, 1, 3, 'm'), ...keysOn(fx, 2, 3, 'm')];
    // interleave servers, leave a miss and a duplicate in
    const order = [
      keys[0],
      keys[3],
      keys[6],
      'missing:1',
      keys[1],
      keys[4],
      keys[7],
      keys[0],
      keys[2],
      keys[5],
      keys[8],
    ];
    for (const key of keys)
      expect(await client.call(`set ${key} 0 0 ${key.length}\r\n${key}\r\n`)).toBe('STORED');
    client.write(`get ${order.join(' ')}\r\n`);
    const reply = await client.until('END');
    const expected = order
      .filter((k) => k !== 'missing:1')
      .map((k) => `VALUE ${k} 0 ${k!.length}\r\n${k}\r\n`);
    expect(reply).toBe(`${expected.join('')}END\r\n`);
  });

  it('answers pipelined requests in request order', async () => {
    let batch = '';
    let expected = '';
    for (let i = 0; i < 200; i++) {
      const key = `p${i}`;
      batch += `set ${key} ${i} 0 ${String(i).length}\r\n${i}\r\nget ${key} p${i - 1}\r\n`;
      const prev = i === 0 ? '' : `VALUE p${i - 1} ${i - 1} ${String(i - 1).length}\r\n${i - 1}\r\n`;
      expected += `STORED\r\nVALUE ${key} ${i} ${String(i).length}\r\n${i}\r\n${prev}END\r\n`;
    }
    client.write(batch);
    const got = await client.read((text) => (text.length >= expected.length ? expected.length : 0));
    expect(got).toBe(expected);
  });

  it('sends nothing back for noreply, and the write is visible to the next request', async () => {
    client.write('set nr 0 0 2 noreply\r\nok\r\nincr nope 1 noreply\r\ndelete nope noreply\r\nget nr\r\n');
    expect(await client.until('END')).toBe('VALUE nr 0 2\r\nok\r\nEND\r\n');
  });

  it('refuses oversized values and bad lines with memcached errors and keeps the connection', async () => {
    const big = 'x'.repeat(5000);
    expect(await client.call(`set big 0 0 5000\r\n${big}\r\n`)).toBe(
      'SERVER_ERROR object too large for cache',
    );
    expect(await client.call('bogus command\r\n')).toBe('ERROR');
    expect(await client.call(`get ${'k'.repeat(251)}\r\n`)).toBe('CLIENT_ERROR bad command line format');
    // as memcached does: the 3 + 2 bytes after the line are the chunk, the leftover "f" is a command
    client.write('set k 0 0 3\r\nabcdef\r\n');
    expect(await client.lines(2)).toBe('CLIENT_ERROR bad data chunk\r\nERROR\r\n');
    expect(await client.call('incr k abc\r\n')).toBe('CLIENT_ERROR invalid numeric delta argument');
    expect(await client.call('set ok 0 0 2\r\nhi\r\n')).toBe('STORED');
  });

  it('speaks the meta protocol, including quiet mode up to mn', async () => {
    expect(await client.call('ms mk 2 F9 T0\r\nhi\r\n')).toBe('HD');
    client.write('mg mk v f k\r\n');
    expect(await client.lines(2)).toBe('VA 2 f9 kmk\r\nhi\r\n');
    // quiet: the miss (EN) and the successful set (HD) are suppressed; the hit is not
    client.write('mg missing v q\r\nms mq 1 q\r\nz\r\nmg mq v q\r\nmn\r\n');
    expect(await client.lines(3)).toBe('VA 1\r\nz\r\nMN\r\n');
    expect(await client.call('ma mcount N0 J5 v\r\n')).toMatch(/^VA 1/);
    await client.lines(1);
    expect(await client.call('md mk\r\n')).toBe('HD');
    expect(await client.call('md mk\r\n')).toBe('NF');
  });

  it('refuses a base64 key longer than 250 bytes as sent, quiet or not, and carries on', async () => {
    // 189 bytes encode to 252 base64 characters: short enough decoded, too long as a token.
    const key = Buffer.alloc(189, 7).toString('base64');
    client.write(`mg ${key} b v q\r\nmn\r\n`);
    expect(await client.lines(2)).toBe('CLIENT_ERROR bad command line format\r\nMN\r\n');
    client.write(`ms ${key} 2 b q\r\nhi\r\nmn\r\n`);
    expect(await client.lines(2)).toBe('CLIENT_ERROR bad command line format\r\nMN\r\n');
    expect(await client.call('ms after 2\r\nok\r\n')).toBe('HD');
  });

  it('answers stats and flush_all across every server', async () => {
    client.write('stats\r\n');
    const stats = await client.until('END');
    expect(stats).toMatch(/STAT servers 3\r\n/);
    expect(stats).toMatch(/STAT curr_connections \d+\r\n/);
    expect(await client.call('flush_all')).toBe('OK');
    client.write('get ok p1 p2\r\n');
    expect(await client.until('END')).toBe('END\r\n');
  });

  it('closes the connection on quit after answering what came before', async () => {
    const c = await TextClient.connect(fx.port);
    c.write('set q 0 0 1\r\n1\r\nquit\r\nget q\r\n');
    expect(await c.lines(1)).toBe('STORED\r\n');
    await c.waitClosed();
  });
});
