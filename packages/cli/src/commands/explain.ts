import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError, Job } from '@darq/engine';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { planDot, planModel, planText } from '../render/plan.ts';
import { compileFile } from './compile.ts';
import type { Io } from './run.ts';

export interface ExplainFlags {
  format?: string;
  parallelism?: string;
  workers?: string;
  speculative?: boolean;
  out?: string;
}

export const EXPLAIN_FORMATS = ['text', 'json', 'dot', 'svg'] as const;

/**
 * `darq explain query.sql`: the logical plan (parser) and the physical stage graph (engine): stages,
 * participants, state, partitioning, changelog mode, watermarks and the speculation/commit boundary.
 * Nothing runs and no state is touched.
 */
export async function explainCommand(file: string, flags: ExplainFlags, io: Io): Promise<void> {
  const format = flags.format ?? 'text';
  if (!(EXPLAIN_FORMATS as readonly string[]).includes(format))
    throw new CliError(EXIT_USAGE, `--format expects one of ${EXPLAIN_FORMATS.join(', ')}, got '${format}'`);
  const program = compileFile(file, io.stderr);
  const parallelism = Number(flags.parallelism ?? '1');
  if (!Number.isInteger(parallelism) || parallelism < 1)
    throw new CliError(EXIT_USAGE, `--parallelism expects a whole number ≥ 1, got '${flags.parallelism}'`);
  let job: Job;
  try {
    job = await Job.create(program, {
      // Never created: explain only plans.
      stateDir: path.join(os.tmpdir(), 'darq-explain-unused'),
      baseDir: path.dirname(path.resolve(file)),
      parallelism,
    });
  } catch (e) {
    if (e instanceof EngineError && e.domain === 'user')
      throw new CliError(EXIT_USAGE, `${file}: ${e.message}`);
    throw e;
  }
  const workers = Number(flags.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new CliError(EXIT_USAGE, `--workers expects a whole number 1..64, got '${flags.workers}'`);
  const { placeParticipants } = await import('@darq/engine');
  const placement =
    workers > 1
      ? placeParticipants(
          job.graph,
          Array.from({ length: workers }, (_, i) => `w${i}`),
        )
      : undefined;
  const model = planModel(file, program, job, flags.speculative ?? true, placement);
  switch (format) {
    case 'json':
      io.stdout(`${JSON.stringify(model, null, 2)}\n`);
      return;
    case 'dot':
      io.stdout(`${planDot(model)}\n`);
      return;
    case 'svg': {
      const { instance } = await import('@viz-js/viz');
      const viz = await instance();
      io.stdout(viz.renderString(planDot(model), { format: 'svg' }));
      return;
    }
    default:
      io.stdout(`${planText(model)}\n`);
  }
}
