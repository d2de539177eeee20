import type { Progress, RunSummary } from '@darq/engine';

const nf = new Intl.NumberFormat('en-US');

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k`;
  return perSecond.toFixed(0);
}

/** The one-line final summary (stderr). */
export function summaryLine(s: RunSummary, stateDir: string | undefined): string {
  const secs = s.elapsedMs / 1000;
  const parts = [
    `${nf.format(s.eventsIn)} events in`,
    `${nf.format(s.rowsOut)} rows out`,
    `${secs.toFixed(2)} s`,
    `${formatRate(secs > 0 ? s.eventsIn / secs : 0)} events/s`,
  ];
  if (s.badRecords > 0) parts.push(`${nf.format(s.badRecords)} bad records → ${s.deadLetterPath}`);
  if (s.lateRows > 0) parts.push(`${nf.format(s.lateRows)} late rows dropped`);
  parts.push(`${s.versions} versions committed`);
  if (s.resumed) parts.push('resumed');
  if (stateDir) parts.push(`state ${stateDir}`);
  const prefix =
    s.stopped === 'interrupted'
      ? 'darq: interrupted after a final commit (resume with the same --state): '
      : 'darq: ';
  return prefix + parts.join(', ');
}

/** The live status line on a TTY. */
function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

function formatLag(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** The live status line: events in/out and rate, watermark and lag, committed version, state size, dead letters. */
export function progressLine(p: Progress): string {
  const secs = p.elapsedMs / 1000;
  const parts = [
    `${nf.format(p.eventsIn)} events in (${formatRate(secs > 0 ? p.eventsIn / secs : 0)}/s)`,
    `${nf.format(p.rowsOut)} rows out`,
  ];
  if (p.watermark !== undefined) {
    parts.push(
      `watermark ${new Date(p.watermark).toISOString().replace('T', ' ').slice(0, 23)} (lag ${formatLag(p.lagMs ?? 0)})`,
    );
  }
  parts.push(`version ${p.version}`, `state ${formatBytes(p.stateBytes)}`);
  if (p.badRecords) parts.push(`${nf.format(p.badRecords)} bad`);
  parts.push(`${secs.toFixed(1)} s`);
  return `darq: ${parts.join(', ')}`;
}
