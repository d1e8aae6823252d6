import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';

/**
 * Lowers the scheduling priority of the calling thread alone (Linux's nice is per thread; threads
 * it then starts, such as DuckDB's, inherit it). Background jobs run in a thread of the serving
 * process; on a machine with few cores a minute's traffic fold or an evaluation would otherwise
 * take a core from the event loop that answers requests, which then waits tens of milliseconds
 * for one. At "below normal" the loop wins a contended core about nine times in ten, and an idle
 * core still runs the jobs at full speed. Returns false where it cannot (not Linux, no /proc).
 */
export function lowerThreadPriority(): boolean {
  let tid: number;
  try {
    // /proc/thread-self links to /proc/<pid>/task/<tid>.
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return false;
  }
  if (!Number.isInteger(tid) || tid <= 0) return false;
  try {
    setPriority(tid, constants.priority.PRIORITY_BELOW_NORMAL);
    return true;
  } catch {
    return false;
  }
}
