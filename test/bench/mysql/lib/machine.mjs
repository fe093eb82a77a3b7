// What the numbers were measured on: printed with every result, because a figure without its
// machine (and how busy that machine was) cannot be compared with anything.

import { readFileSync } from 'node:fs';
import { run } from './processes.mjs';

async function firstLine(command, args) {
  try {
    const r = await run(command, args, { timeoutMs: 20_000 });
    return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
  } catch {
    return 'unavailable';
  }
}

/** One-minute load average now (other engineers' tests share the cores). */
export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Facts about this machine and the tools' versions. */
export async function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const mem = (await run('free', ['-h'])).stdout.split('\n')[1]?.trim().split(/\s+/)[1] ?? '?';
  return {
    cpu: model,
    nproc: (await firstLine('nproc', [])) || '?',
    memory: mem,
    kernel: (await firstLine('uname', ['-sr'])) || '?',
    openFilesLimit: (await run('bash', ['-c', 'ulimit -n'])).stdout.trim(),
    node: process.version,
    mariadb: await firstLine('mariadbd', ['--version']),
    sysbench: await firstLine('sysbench', ['--version']),
    haproxy: await firstLine('haproxy', ['-v']),
  };
}
