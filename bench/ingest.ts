import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalLake } from '../shared/adapters/lake/local';
import { simulate } from '../shared/simulate/simulate';
import { ingestDate } from '../shared/app/ingest';
import { addDays } from '../shared/domain/calendar';

/**
 * Ingestion benchmark: 100,000 contacts over 90 days of raw history, ingest the day after.
 * Target: ≥ 1,000,000 events/s, and peak RSS that does not grow with the number of days read
 * (each ingest runs in its own child process, so that maxRSS — a high-water mark — is the ingest's own:
 * once with 30 days of history, once with 90). Each is the best of BENCH_RUNS (3) runs: these machines
 * are shared, and one run says as much about the neighbours as about the code.
 */
async function measure(root: string, date: string): Promise<void> {
  const t = performance.now();
  const r = await ingestDate(new LocalLake(root), date);
  const seconds = (performance.now() - t) / 1000;
  process.stdout.write(JSON.stringify({ events: r.eventsRead, rows: r.rows, seconds, maxRSS: process.resourceUsage().maxRSS }));
}

async function main(): Promise<void> {
  if (process.env.BENCH_INGEST_ROOT && process.env.BENCH_INGEST_DATE) return measure(process.env.BENCH_INGEST_ROOT, process.env.BENCH_INGEST_DATE);
  const contacts = Number(process.env.BENCH_CONTACTS ?? 100_000);
  const days = Number(process.env.BENCH_DAYS ?? 90);
  const start = '2026-01-01';
  const root = mkdtempSync(path.join(tmpdir(), 'leadscore-bench-'));
  const lake = new LocalLake(root);
  try {
    const t = performance.now();
    const sim = await simulate(lake, { contacts, days, start, seed: 42 });
    process.stdout.write(`simulate: ${contacts} contacts × ${days} days, ${sim.events} events in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    const runs: { daysRead: number; events: number; seconds: number; rate: number; peakMiB: number }[] = [];
    const repeats = Number(process.env.BENCH_RUNS ?? 3);
    const loadBefore = loadavg()[0]!;
    for (const historyDays of [Math.min(30, days), days]) {
      // Features as of `date` read only the raw days before it: 30, then 90 days of history.
      const date = addDays(start, historyDays);
      let best: (typeof runs)[number] | undefined;
      for (let k = 0; k < repeats; k++) {
        const out = execFileSync(process.execPath, [__filename], {
          env: { ...process.env, BENCH_INGEST_ROOT: root, BENCH_INGEST_DATE: date },
          maxBuffer: 1 << 20,
        });
        const m = JSON.parse(out.toString()) as { events: number; seconds: number; maxRSS: number };
        const run = { daysRead: historyDays, events: m.events, seconds: m.seconds, rate: m.events / m.seconds, peakMiB: m.maxRSS / 1024 };
        if (!best || run.seconds < best.seconds) best = run;
      }
      runs.push(best!);
    }
    process.stdout.write('\ndays read | events read | seconds | events/s (target ≥ 1,000,000) | peak RSS MiB (target: flat in days read)\n');
    for (const r of runs) {
      process.stdout.write(
        `${String(r.daysRead).padStart(9)} | ${String(r.events).padStart(11)} | ${r.seconds.toFixed(2).padStart(7)} | ${Math.round(r.rate).toLocaleString('en-US').padStart(30)} | ${r.peakMiB.toFixed(0).padStart(6)}\n`,
      );
    }
    process.stdout.write(`best of ${repeats} runs each; load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (2 CPUs)\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
