import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { PlumbError } from '../../core/errors.js';

export interface CommandSpec {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** Each complete line of output, as it arrives. */
  onLine(stream: 'stdout' | 'stderr', text: string): void;
  signal: AbortSignal;
  timeoutMs?: number | undefined;
  /** Told the program's process id once it runs. */
  onSpawn?: (pid: number) => void;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
}

/** A line longer than this is cut into pieces, so one endless line cannot fill memory. */
const MAX_LINE = 16_384;
/** How long a program gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

/**
 * Runs a program without a shell (arguments are passed as given), captures its output line by
 * line and ends it on abort or timeout: SIGTERM to its process group, then SIGKILL.
 */
export function runCommand(spec: CommandSpec): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = spec.argv;
    if (!program) {
      reject(new PlumbError('invalid_argument', 'the command is empty'));
      return;
    }
    const child = spawn(program, args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so ending it ends what it started too.
      detached: true,
    });
    if (child.pid !== undefined) spec.onSpawn?.(child.pid);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const group = (sig: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          child.kill(sig);
        }
      };
      group('SIGTERM');
      killTimer = setTimeout(() => group('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer =
      spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            kill();
          }, spec.timeoutMs);
    const onAbort = () => kill();
    spec.signal.addEventListener('abort', onAbort, { once: true });
    if (spec.signal.aborted) kill();
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      let pending = '';
      const source = child[stream]!;
      source.on('data', (chunk: Buffer) => {
        pending += decoder.write(chunk);
        let at = pending.indexOf('\n');
        while (at !== -1) {
          emit(stream, pending.slice(0, at));
          pending = pending.slice(at + 1);
          at = pending.indexOf('\n');
        }
        while (pending.length > MAX_LINE) {
          emit(stream, pending.slice(0, MAX_LINE));
          pending = pending.slice(MAX_LINE);
        }
      });
      source.on('end', () => {
        pending += decoder.end();
        if (pending.length > 0) emit(stream, pending);
      });
    }
    function emit(stream: 'stdout' | 'stderr', line: string) {
      spec.onLine(stream, line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    child.on('error', (error) => {
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      reject(
        new PlumbError('failed_precondition', `could not start ${program}: ${error.message}`, {
          cause: error,
        }),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      spec.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode: code, signal, timedOut });
    });
  });
}
