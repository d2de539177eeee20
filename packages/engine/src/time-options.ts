import { PlanError } from './errors.ts';

/** '5 s', '500 ms', '2 min', '1500' (milliseconds) → milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m =
    /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|min|minutes?|h|hours?|d|days?)?\s*$/i.exec(text);
  if (!m)
    throw new PlanError('BAD_DURATION', `${what}: '${text}' is not a duration; write e.g. '5 s' or '500 ms'`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const factor =
    unit.startsWith('ms') || unit.startsWith('milli')
      ? 1
      : unit.startsWith('s')
        ? 1000
        : unit.startsWith('m')
          ? 60_000
          : 3_600_000;
  return n * factor;
}
