// CPU time of a process tree from /proc: the benchmarked servers are other processes, so
// process.cpuUsage() cannot see them. Threads (Node workers, MariaDB connection threads) are
// included in a process's own utime/stime; worker processes are found by walking parent links.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: fields resume after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): field k is rest[k - 3].
    return {
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]),
    };
  } catch {
    return undefined; // the process went away while we looked
  }
}

/**
 * User + system CPU seconds used so far by pid and all its live descendants (plus the children
 * they already reaped, via cutime/cstime).
 * @param {number} rootPid
 * @returns {number} seconds
 */
export function treeCpuSeconds(rootPid) {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const stat = readStat(name);
    if (stat) stats.set(Number(name), stat);
  }
  const children = new Map();
  for (const [pid, { ppid }] of stats) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  let ticks = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop();
    const stat = stats.get(pid);
    if (!stat) continue;
    ticks += stat.ticks;
    queue.push(...(children.get(pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU seconds all cores have spent busy since boot (everything in /proc/stat's "cpu" line
 * except idle and iowait). The difference to our own processes' time is what other work on the
 * machine took during a run: the noise figure printed next to every result.
 * @returns {number} seconds
 */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}
