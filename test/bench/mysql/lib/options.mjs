// Command-line options of sysbench-sweep.mjs, validated up front with messages that say which
// option, what value and what was expected.

import { parseArgs } from 'node:util';
import { DEFAULT_PIPE_COMMAND, DEFAULT_PROXY_COMMAND } from './scalestack-proxy.mjs';

export const TESTS = ['oltp_point_select', 'oltp_read_only'];
export const PS_MODES = ['disable', 'auto'];
export const TARGETS = ['direct', 'haproxy', 'pipe', 'proxy'];
// The pipe is opt-in: it is a reference point for the proxy, not something to compare by default.
const DEFAULT_TARGETS = ['direct', 'haproxy', 'proxy'];

const FULL = { threads: '1,4,16,64,256,1024,4096', duration: '10' };
const QUICK = { threads: '1,16,256,4096', duration: '3' };

export const USAGE = `usage: node test/bench/mysql/sysbench-sweep.mjs [options]

  --tests <list>        ${TESTS.join(',')} (default: both)
  --ps-modes <list>     ${PS_MODES.join(',')} (default: both)
  --threads <list>      sysbench thread counts (default: ${FULL.threads}; --quick: ${QUICK.threads})
  --targets <list>      ${TARGETS.join(',')} (default: ${DEFAULT_TARGETS.join(',')}); pipe is
                        node-pipe.mjs, each client piped to its own MariaDB connection
  --rounds <n>          alternations per point; medians are reported (default: 1)
  --duration <s>        seconds per sysbench run (default: ${FULL.duration}; --quick: ${QUICK.duration})
  --quick               smoke preset: 4 thread counts, 3 s runs (about 2 minutes per target)
  --pool <n>            proxy backend pool size N (default: 128)
  --table-size <n>      rows in sbtest1 (default: 100000)
  --haproxy-threads <n> haproxy's nbthread (default: 1)
  --nice <n>            nice value (-20 … 19) of the forwarding threads: the proxy's event loop
                        (event.nice), haproxy's (its nice directive) and the pipe's (default:
                        unchanged; below 0 needs root or CAP_SYS_NICE; write --nice=-10)
  --proxy-cmd <cmd>     proxy command; {config} is the generated YAML
                        (default: ${DEFAULT_PROXY_COMMAND})
  --pipe-cmd <cmd>      pipe command; {config} is its generated YAML, the proxy's with its own port
                        (default: ${DEFAULT_PIPE_COMMAND})
  --quiet-below <pct>   before each run, wait until other people's work keeps all cores less than
                        <pct> % busy (sampled over 1 s), up to --quiet-wait s (default: off)
  --quiet-wait <s>      longest wait for quiet before running anyway (default: 30)
  --cpu-prof <dir>      run the proxy under node --cpu-prof, writing profiles to <dir>
  --cpu-prof-run <t:m:n>  profile only that run (e.g. oltp_point_select:auto:256): the proxy is
                        restarted around it; without this the whole sweep is one profile
  --out <file.md>       where to write the table (default: test/bench/results/mysql-sysbench.md,
                        --quick: mysql-sysbench-quick.md); raw runs go next to it as .json
  --help`;

function fail(option, value, expected, script = 'sysbench-sweep') {
  throw new Error(`${script}: --${option}=${JSON.stringify(value)} is not valid: expected ${expected}`);
}

/** `value` of `--option` as a positive integer, or an error naming `script`, the option and the form. */
export function positiveInt(option, value, script = 'sysbench-sweep') {
  if (!/^\d+$/.test(value) || Number(value) < 1) fail(option, value, 'a positive integer', script);
  return Number(value);
}

function niceValue(value) {
  if (!/^-?\d+$/.test(value) || Number(value) < -20 || Number(value) > 19)
    fail('nice', value, 'an integer between -20 and 19');
  return Number(value);
}

function percent(option, value) {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0 || Number(value) > 100) {
    fail(option, value, 'a percentage between 0 and 100');
  }
  return Number(value);
}

function list(option, value, allowed) {
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!allowed.includes(item)) fail(option, value, `a comma-separated list of ${allowed.join(', ')}`);
  }
  return [...new Set(items)];
}

/**
 * Parse and validate argv.
 * @param {string[]} argv
 */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      tests: { type: 'string', default: TESTS.join(',') },
      'ps-modes': { type: 'string', default: PS_MODES.join(',') },
      threads: { type: 'string' },
      targets: { type: 'string', default: DEFAULT_TARGETS.join(',') },
      rounds: { type: 'string', default: '1' },
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      pool: { type: 'string', default: '128' },
      'table-size': { type: 'string', default: '100000' },
      'proxy-cmd': { type: 'string', default: DEFAULT_PROXY_COMMAND },
      'pipe-cmd': { type: 'string' },
      'haproxy-threads': { type: 'string', default: '1' },
      nice: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'quiet-below': { type: 'string' },
      'quiet-wait': { type: 'string', default: '30' },
      'cpu-prof-run': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const preset = values.quick ? QUICK : FULL;
  const threadsText = values.threads ?? preset.threads;
  const threads = threadsText.split(',').map((t) => positiveInt('threads', t.trim()));
  const targets = list('targets', values.targets, TARGETS);
  const options = {
    help: values.help,
    quick: values.quick,
    tests: list('tests', values.tests, TESTS),
    psModes: list('ps-modes', values['ps-modes'], PS_MODES),
    threads,
    targets,
    rounds: positiveInt('rounds', values.rounds),
    duration: positiveInt('duration', values.duration ?? preset.duration),
    pool: positiveInt('pool', values.pool),
    tables: 1,
    tableSize: positiveInt('table-size', values['table-size']),
    proxyCommand: values['proxy-cmd'],
    pipeCommand: values['pipe-cmd'] ?? DEFAULT_PIPE_COMMAND,
    haproxyThreads: positiveInt('haproxy-threads', values['haproxy-threads']),
    nice: values.nice === undefined ? undefined : niceValue(values.nice),
    cpuProfDir: values['cpu-prof'],
    quietBelow:
      values['quiet-below'] === undefined ? undefined : percent('quiet-below', values['quiet-below']),
    quietWait: positiveInt('quiet-wait', values['quiet-wait']),
    cpuProfRun: undefined,
    out:
      values.out ??
      (values.quick ? 'test/bench/results/mysql-sysbench-quick.md' : 'test/bench/results/mysql-sysbench.md'),
  };
  for (const [option, command] of [
    ['proxy-cmd', options.proxyCommand],
    ['pipe-cmd', options.pipeCommand],
  ]) {
    if (!command.includes('{config}')) {
      fail(option, command, 'a command containing {config} where the YAML path goes');
    }
  }
  if (values['cpu-prof-run'] !== undefined) {
    const m = /^([a-z_]+):([a-z]+):(\d+)$/.exec(values['cpu-prof-run']);
    if (!m || !TESTS.includes(m[1]) || !PS_MODES.includes(m[2])) {
      fail(
        'cpu-prof-run',
        values['cpu-prof-run'],
        '<test>:<ps-mode>:<threads>, e.g. oltp_point_select:auto:256',
      );
    }
    if (!options.cpuProfDir)
      fail('cpu-prof-run', values['cpu-prof-run'], 'to be used together with --cpu-prof <dir>');
    options.cpuProfRun = { test: m[1], psMode: m[2], threads: Number(m[3]) };
  }
  if (options.cpuProfDir && !targets.includes('proxy')) {
    fail('cpu-prof', options.cpuProfDir, 'the proxy among --targets (only the proxy is profiled)');
  }
  if (values['pipe-cmd'] !== undefined && !targets.includes('pipe')) {
    fail('pipe-cmd', values['pipe-cmd'], 'pipe among --targets (the pipe runs only when named there)');
  }
  return options;
}
