import { hostname } from 'node:os';
import type { Ledger } from '../ports/ledger';

/**
 * The retrain's single-flight lease (docs/architecture.md, "Gates"): who holds it, whether the
 * holder can still be running, and what a run that took it over finds left behind.
 */
/** A lock owner says where it runs: `<host>/<pid>/<run id>`, so a later run can tell whether it is gone. */
export function lockOwner(runId: string): string {
  return `${hostname()}/${process.pid}/${runId}`;
}

/**
 * Whether the process holding a lock may still be running. Only a holder on this machine can be
 * known to be gone (no process with its pid); any other is presumed alive until its lease expires.
 */
export function ownerAlive(owner: string): boolean {
  const [host, pid] = owner.split('/');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * With the lock held, no other retrain can be running: a run still recorded as running stopped before
 * it finished (its process died). It is marked abandoned; a version it registered stays incomplete,
 * which deploy refuses without --force.
 */
export async function abandonOrphans(deps: { ledger: Ledger }, self: string, at: string, log: (m: string) => void): Promise<void> {
  for (const r of await deps.ledger.listRuns(50)) {
    if (r.status !== 'running' || r.id === self) continue;
    const version = (r.details as { version?: number | null } | undefined)?.version ?? null;
    const reason = `the process running it stopped before it finished${version !== null ? `; v${version}, which it registered, is incomplete (deploy it only with --force)` : ''}`;
    await deps.ledger.putRun({ ...r, status: 'abandoned', finishedAt: at, reason });
    log(`retrain ${r.id}: abandoned (${reason})`);
  }
}
