export { type ExplainFlags, explainCommand } from './commands/explain.ts';
export { type GenerateFlags, generateCommand, nexmarkLine } from './commands/generate.ts';
export { type Io, type RunFlags, runCommand } from './commands/run.ts';
export { SqlSession, sqlCommand, statementComplete } from './commands/sql.ts';
export {
  type CaseResult,
  diffRows,
  failHeaders,
  runCase,
  type TestFlags,
  testCommand,
} from './commands/test.ts';
export { CliError, EXIT_BAD_RECORDS, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE } from './errors.ts';
export { MetricsServer } from './metrics.ts';
export { type PlanModel, type PlanStage, planDot, planModel, planText } from './render/plan.ts';
export { type RowFormat, RowPrinter } from './render/rows.ts';
export { formatRate, progressLine, summaryLine } from './render/summary.ts';
