/**
 * The client listener's accept queue, read back from the kernel with `ss` (iproute2). The proxy
 * listens through the socket module, whose `backlog` sets it: Node's default of 511 made a burst
 * of 4096 sysbench threads overflow it (the kernel's ListenOverflows counter), and the dropped
 * connects came back one to several seconds later.
 */
import { readFileSync } from 'node:fs';
import { acceptQueueLength } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

describe("the proxy listener's accept queue", () => {
  let byDefault: ProxyFixture;
  let small: ProxyFixture;

  beforeAll(async () => {
    byDefault = await startProxyFixture();
    small = await startProxyFixture({ mariadb: byDefault.mariadb, socket: { backlog: 37 } });
  });

  afterAll(async () => {
    await small?.stop();
    await byDefault?.stop();
  });

  it('queues 4096 connections by default (or what net.core.somaxconn allows)', async () => {
    expect(await acceptQueueLength(byDefault.port)).toBe(Math.min(4096, somaxconn));
  });

  it("takes the socket module's backlog, and the proxy answers as usual", async () => {
    expect(await acceptQueueLength(small.port)).toBe(Math.min(37, somaxconn));
    const c = await small.connect();
    const [rows] = await c.query('SELECT 6 * 7 AS v');
    expect(rows).toEqual([{ v: 42 }]);
    await c.end();
  });

  it('refuses a backlog below 1, naming the module and the option', async () => {
    await expect(startProxyFixture({ mariadb: byDefault.mariadb, socket: { backlog: 0 } })).rejects.toThrow(
      /module "socket", option "backlog": got 0, expected an integer >= 1/,
    );
  });
});
