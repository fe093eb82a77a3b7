/** UpstreamSet across reloads: what it remembers of upstreams that were removed. */
import { toAddress } from '@scalestack/socket';
import { expect, it } from 'vitest';
import { UpstreamSet } from '../src/upstreams.js';

const at = (port: number) => toAddress(`127.0.0.1:${port}`);

it('forgets removed upstreams with no connections, keeps those still in use with their counts', () => {
  const set = new UpstreamSet([at(1000)], 'round_robin', 1000);
  const kept = set.upstreams[0]!;
  kept.active = 2; // two pairs still piped to it when it is removed
  // Addresses that come and go, as with service discovery: one reload each.
  for (let port = 2000; port < 2500; port++) set.update([at(port)], 'round_robin', 1000);
  expect(set.knownCount).toBe(2); // the current one, and the removed one still in use
  // Added back, it is the same upstream, still counting its connections.
  set.update([at(1000), at(2499)], 'round_robin', 1000);
  expect(set.upstreams[0]).toBe(kept);
  expect(set.upstreams[0]!.active).toBe(2);
  // Once its connections are gone, a reload without it forgets it.
  kept.active = 0;
  set.update([at(2499)], 'round_robin', 1000);
  expect(set.knownCount).toBe(1);
});
