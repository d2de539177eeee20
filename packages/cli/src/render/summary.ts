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
export function progressLine(p: Progress): string {
  const secs = p.elapsedMs / 1000;
  return `darq: ${nf.format(p.eventsIn)} events in (${formatRate(secs > 0 ? p.eventsIn / secs : 0)}/s), ${nf.format(
    p.rowsOut,
  )} rows out, version ${p.version}${p.badRecords ? `, ${nf.format(p.badRecords)} bad` : ''}, ${secs.toFixed(1)} s`;
}
