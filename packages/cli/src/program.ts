import {
  argumentName,
  discoverModules,
  Kernel,
  KernelConfigError,
  KernelStartError,
  LOG_LEVELS,
  type ModuleReference,
  PhaseTimeoutError,
  readConfigFile,
  resolveGraph,
  StartCancelledError,
} from '@scalestack/kernel';
import { Command, CommanderError } from 'commander';
import { type CliIO, EXIT, processIO } from './io.js';
import { formatModuleHelp } from './module-help.js';
import { handleSignals } from './signals.js';
import { splitOptionFlags } from './split-args.js';
import { describeDefaultTimeouts, parseTimeouts } from './timeouts.js';

/** What a command left behind: an exit code, or a running kernel (then signals decide the exit). */
export interface CliOutcome {
  code?: number;
  kernel?: Kernel;
  /** Removes the signal handlers of a running kernel. */
  release?: () => void;
}

interface RunFlags {
  config?: string;
  logLevel?: string;
  timeout?: string;
  help?: boolean;
}

function checkLogLevel(level: string | undefined, io: CliIO): boolean {
  if (level === undefined || LOG_LEVELS.includes(level as never)) return true;
  io.err(`scalestack: --log-level: got "${level}", expected one of ${LOG_LEVELS.join(', ')}\n`);
  return false;
}

/**
 * An error about module names without the words that followed a secret option (see
 * `splitOptionFlags`): such a "module" is most likely the rest of an unquoted password, so its
 * not-found line — which would show it, the package names made from it and a similar name —
 * says where it came from instead.
 */
export function hideWordsAfterSecret(message: string, afterSecret: readonly string[]): string {
  if (afterSecret.length === 0) return message;
  return message
    .split('\n')
    .map((line) => {
      for (const word of afterSecret) {
        const at = line.indexOf(`module "${word}" was not found`);
        if (at >= 0)
          return `${line.slice(0, at)}a word after a secret option is no module (a value with spaces is given in quotes: --<module>.password='…')`;
      }
      return line;
    })
    .join('\n');
}

/** Module names listed under `modules:` in a config file (for --help); unreadable files list none. */
function modulesInConfig(file: string | undefined): string[] {
  if (!file) return [];
  try {
    const raw = readConfigFile(file) as { modules?: Record<string, unknown> } | undefined;
    return raw?.modules && typeof raw.modules === 'object' ? Object.keys(raw.modules) : [];
  } catch {
    return [];
  }
}

async function printModuleHelp(
  modules: string[],
  flags: RunFlags,
  io: CliIO,
  outcome: CliOutcome,
  afterSecret: readonly string[],
): Promise<void> {
  const refs: ModuleReference[] = [
    ...modules,
    ...modulesInConfig(flags.config).filter((m) => !modules.includes(m)),
  ];
  const graph = await resolveGraph(refs, { cwd: io.cwd });
  if (graph.errors.length > 0) {
    io.err(`scalestack: ${hideWordsAfterSecret(new KernelConfigError(graph.errors).message, afterSecret)}\n`);
    outcome.code = EXIT.usage;
    return;
  }
  io.out(`Options (--<module>.<option>=<value>, or SCALESTACK_<MODULE>_<OPTION>, or a config file):\n`);
  io.out(formatModuleHelp(graph.modules));
  outcome.code = EXIT.ok;
}

/** Loads and validates; on failure writes the kernel's message and sets the exit code. */
async function loadKernel(
  kernel: Kernel,
  modules: string[],
  flags: RunFlags,
  optionArgs: readonly string[],
  io: CliIO,
  outcome: CliOutcome,
  afterSecret: readonly string[],
): Promise<boolean> {
  try {
    await kernel.load({ modules, configFile: flags.config, env: io.env, args: optionArgs });
    return true;
  } catch (err) {
    if (!(err instanceof KernelConfigError)) throw err;
    io.err(`scalestack: ${hideWordsAfterSecret(err.message, afterSecret)}\n`);
    outcome.code = EXIT.usage;
    return false;
  }
}

/**
 * Builds the `scalestack` program. `optionArgs` are the `--<module>.<option>` flags already split
 * off the command line (see `splitOptionFlags`); `outcome` receives the result of the command;
 * `afterSecret`, the words that followed a secret option (kept out of module-not-found errors).
 */
export function buildProgram(
  io: CliIO,
  optionArgs: readonly string[],
  outcome: CliOutcome,
  afterSecret: readonly string[] = [],
): Command {
  const program = new Command('scalestack')
    .description('Scale Stack: load modules, configure them and run them')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText(
      'after',
      '\nEvery option of some modules: scalestack help <module...> (or run <module...> --help)\n',
    );

  program
    .command('run')
    .description('load, configure and start modules until SIGINT/SIGTERM')
    .argument('[module...]', 'module names or paths (modules under "modules:" in the config file are added)')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('--log-level <level>', `log level (${LOG_LEVELS.join(', ')})`)
    .option(
      '--timeout <phase=duration,...>',
      `how long each module's hook may take in a phase (defaults: ${describeDefaultTimeouts()})`,
    )
    .helpOption(false)
    .option('-h, --help', 'list every option of the given modules and of what they require')
    .action(async (modules: string[], flags: RunFlags, command: Command) => {
      if (flags.help) {
        if (modules.length === 0 && !flags.config) {
          io.out(command.helpInformation());
          outcome.code = EXIT.ok;
          return;
        }
        await printModuleHelp(modules, flags, io, outcome, afterSecret);
        return;
      }
      if (!checkLogLevel(flags.logLevel, io)) {
        outcome.code = EXIT.usage;
        return;
      }
      const timeouts = flags.timeout === undefined ? {} : parseTimeouts(flags.timeout);
      if (typeof timeouts === 'string') {
        io.err(`scalestack: ${timeouts}\n`);
        outcome.code = EXIT.usage;
        return;
      }
      const kernel = new Kernel({ logLevel: flags.logLevel, cwd: io.cwd, timeouts });
      if (!(await loadKernel(kernel, modules, flags, optionArgs, io, outcome, afterSecret))) return;
      const started = kernel.start();
      const release = handleSignals(kernel, io, flags.config, started);
      try {
        await started;
      } catch (err) {
        release();
        if (!(err instanceof KernelStartError)) throw err;
        // A signal stopped start-up: what had started is stopped, as the signal asked.
        if (err.cause instanceof StartCancelledError) {
          outcome.code = EXIT.ok;
          return;
        }
        // An overrun names the limit it overran and how to change it.
        const hint =
          err.cause instanceof PhaseTimeoutError
            ? ` (the ${err.phase} timeout; --timeout ${err.phase}=<duration> changes it)`
            : '';
        io.err(`scalestack: ${err.message}${hint}\n`);
        outcome.code = EXIT.startFailed;
        return;
      }
      outcome.kernel = kernel;
      outcome.release = release;
    });

  program
    .command('check')
    .description('validate a configuration without starting anything')
    .argument('[module...]', 'module names or paths (modules under "modules:" in the config file are added)')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .action(async (modules: string[], flags: RunFlags) => {
      const kernel = new Kernel({ logLevel: 'warn', cwd: io.cwd });
      if (!(await loadKernel(kernel, modules, flags, optionArgs, io, outcome, afterSecret))) return;
      io.out(`configuration OK (${kernel.modules.map((m) => m.name).join(', ')})\n`);
      outcome.code = EXIT.ok;
    });

  program
    .command('modules')
    .description('list the modules that can be loaded by name')
    .action(async () => {
      const { modules, problems } = await discoverModules(io.cwd);
      const width = Math.max(0, ...modules.map((m) => m.name.length));
      for (const m of modules) io.out(`${m.name.padEnd(width)}  ${m.description}\n`);
      for (const problem of problems) io.err(`warning: ${problem}\n`);
      outcome.code = EXIT.ok;
    });

  return program;
}

/**
 * Runs the CLI. Resolves with an exit code, or, while `run` keeps modules running, with the
 * kernel (the signal handlers then end the process through `io.exit`).
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<CliOutcome> {
  const outcome: CliOutcome = {};
  const optionArgs: string[] = [];
  const afterSecret: string[] = [];
  const program = buildProgram(io, optionArgs, outcome, afterSecret);
  const cliOptions = program.commands.flatMap((c) =>
    c.options.flatMap((o) => [o.short, o.long]).filter((name) => name !== undefined),
  );
  const split = splitOptionFlags(argv, cliOptions);
  optionArgs.push(...split.optionArgs);
  afterSecret.push(...split.afterSecret);
  let { cli } = split;
  // `help <module...>` is `run <module...> --help`; commander's own `help` knows only commands.
  const commands = program.commands.map((c) => c.name());
  if (cli[0] === 'help' && cli[1] !== undefined && !cli[1].startsWith('-') && !commands.includes(cli[1]))
    cli = ['run', ...cli.slice(1), '--help'];
  const command = cli[0];
  if (optionArgs.length > 0 && command !== 'run' && command !== 'check') {
    // The flag's name only: its value may be a secret.
    io.err(
      `scalestack: ${argumentName(optionArgs[0]!)}: module options are only accepted by "run" and "check"\n`,
    );
    return { code: EXIT.usage };
  }
  try {
    await program.parseAsync(cli, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return { code: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  return outcome.kernel ? outcome : { code: outcome.code ?? EXIT.ok };
}
