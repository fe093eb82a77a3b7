import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';

const run = promisify(execFile);

/**
 * The accept-queue length (listen backlog, as the kernel applied it) of the TCP listener on
 * `port`: the Send-Q column `ss` (iproute2) shows for a listening socket.
 */
export async function acceptQueueLength(port: number): Promise<number> {
  const { stdout } = await run(findBinary('ss', 'iproute2'), ['-Hltn', `sport = :${port}`]);
  const lines = stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '');
  if (lines.length !== 1) {
    throw new Error(`acceptQueueLength: expected one listener on port ${port}, ss printed ${lines.length}`);
  }
  return Number(lines[0]!.trim().split(/\s+/)[2]);
}
