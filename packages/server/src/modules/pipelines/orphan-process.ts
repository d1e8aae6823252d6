import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'process.json';

/** When the process started, in clock ticks since boot (Linux); null where /proc is absent. */
function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and ends at the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Notes an attempt's program in its working folder, so a later attempt can end it if it outlived its server. */
export function recordProcess(workDir: string, pid: number): void {
  writeFileSync(join(workDir, FILE), JSON.stringify({ pid, start: startTicks(pid) }));
}

/**
 * Ends the process group of an interrupted attempt's program if it still runs on this machine
 * (a killed server leaves its children running). The start time must match, so a reused process
 * id is never signalled; without /proc nothing is done.
 */
export function stopOrphan(workDir: string): boolean {
  const path = join(workDir, FILE);
  if (!existsSync(path)) return false;
  try {
    const { pid, start } = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; start: string | null };
    if (start === null || startTicks(pid) !== start) return false;
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
