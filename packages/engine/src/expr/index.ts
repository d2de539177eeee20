export type { CastFn } from './cast.ts';
export { castFunction, valueToString } from './cast.ts';
export {
  builtinFunctionNames,
  calcToJs,
  compileCalc,
  compileExpr,
  compilePredicate,
  compileProjection,
  exprToJs,
  projectionToJs,
} from './compile.ts';
export { ExpressionError } from './errors.ts';
export { compileDateFormat, compileDateParser, parseIsoTimestamp, timestampToString } from './time.ts';
export type { CompileOptions, Row, ScalarUdf } from './types.ts';
