import {
  EmbeddedActionsParser,
  EOF,
  getLookaheadPaths,
  type IOrAlt,
  type IParserErrorMessageProvider,
  type IToken,
  NoViableAltException,
  type TokenType,
  tokenLabel,
} from 'chevrotain';
import type {
  AstExpr,
  AstFrameBound,
  BinaryOp,
  FuncCall,
  Identifier,
  OrderItem,
  OverSpec,
} from '../ast/expr.ts';
import type {
  Cte,
  Query,
  QueryBody,
  Relation,
  SelectCore,
  SelectItem,
  TvfArg,
  TvfArgValue,
} from '../ast/query.ts';
import type { ColumnAst, OptionAst, Statement, WatermarkAst } from '../ast/statement.ts';
import type { Diagnostic, Span } from '../diagnostics.ts';
import { didYouMean, NO_SPAN } from '../diagnostics.ts';
import * as T from '../lexer/tokens.ts';
import { type DataType, decimal, type Field } from '../types.ts';

/** Position helpers: chevrotain columns/lines are 1-based, offsets 0-based, ends inclusive. */
export function tokenSpan(start: IToken, end: IToken = start, file?: string): Span {
  const s = {
    line: start.startLine ?? 1,
    column: start.startColumn ?? 1,
    offset: Number.isNaN(start.startOffset) ? 0 : start.startOffset,
  };
  const e = {
    line: end.endLine ?? s.line,
    column: (end.endColumn ?? s.column) + 1,
    offset: (Number.isNaN(end.endOffset ?? Number.NaN) ? s.offset : (end.endOffset as number)) + 1,
  };
  return file === undefined ? { start: s, end: e } : { file, start: s, end: e };
}

export function unquoteIdent(image: string): string {
  if (image.startsWith('`')) return image.slice(1, -1).replace(/``/g, '`');
  if (image.startsWith('"')) return image.slice(1, -1).replace(/""/g, '"');
  return image;
}

export function unquoteString(image: string): string {
  return image.slice(1, -1).replace(/''/g, "'");
}

const TYPE_NAMES: Record<string, (args: number[]) => DataType> = {
  BOOLEAN: () => ({ kind: 'BOOLEAN' }),
  BOOL: () => ({ kind: 'BOOLEAN' }),
  TINYINT: () => ({ kind: 'INT' }),
  SMALLINT: () => ({ kind: 'INT' }),
  INT: () => ({ kind: 'INT' }),
  INTEGER: () => ({ kind: 'INT' }),
  BIGINT: () => ({ kind: 'BIGINT' }),
  FLOAT: () => ({ kind: 'DOUBLE' }),
  REAL: () => ({ kind: 'DOUBLE' }),
  DOUBLE: () => ({ kind: 'DOUBLE' }),
  DECIMAL: (a) => decimal(a[0] ?? 10, a[1] ?? 0),
  DEC: (a) => decimal(a[0] ?? 10, a[1] ?? 0),
  NUMERIC: (a) => decimal(a[0] ?? 10, a[1] ?? 0),
  VARCHAR: () => ({ kind: 'VARCHAR' }),
  STRING: () => ({ kind: 'VARCHAR' }),
  TEXT: () => ({ kind: 'VARCHAR' }),
  CHAR: () => ({ kind: 'VARCHAR' }),
  TIMESTAMP: (a) => ({ kind: 'TIMESTAMP', precision: Math.min(a[0] ?? 3, 3), ltz: false }),
  TIMESTAMP_LTZ: (a) => ({ kind: 'TIMESTAMP', precision: Math.min(a[0] ?? 3, 3), ltz: true }),
  INTERVAL: () => ({ kind: 'INTERVAL' }),
};

// Alternatives are built by these helpers rather than written as `{ ALT: () => … }`: tsx runs the sources
// with esbuild's keepNames, which wraps every arrow function stored in a named property in a __name() call,
// per parse — five to ten times the cost of the parse itself. An arrow passed as an argument is not wrapped.
function alt<T>(f: () => T, gate?: () => boolean, ignoreAmbiguities?: boolean): IOrAlt<T> {
  const a: { ALT: () => T; GATE?: () => boolean; IGNORE_AMBIGUITIES?: boolean } = { ALT: f };
  if (gate) a.GATE = gate;
  if (ignoreAmbiguities) a.IGNORE_AMBIGUITIES = true;
  return a;
}

function sep(separator: TokenType, f: () => void): { SEP: TokenType; DEF: () => void } {
  return { SEP: separator, DEF: f };
}

function gated<T>(gate: () => boolean, f: () => T): { GATE: () => boolean; DEF: () => T } {
  return { GATE: gate, DEF: f };
}

/** Chevrotain error messages in our words; the expected token types are kept for "did you mean" hints. */
class Messages implements IParserErrorMessageProvider {
  readonly expected = new Map<string, TokenType[]>();

  private describe(tok: IToken): string {
    if (tok.tokenType === EOF) return 'end of statement';
    if (T.RESERVED.has(tok.tokenType.name) || T.NON_RESERVED.has(tok.tokenType.name))
      return `keyword ${tok.image.toUpperCase()}`;
    return `'${tok.image}'`;
  }

  private names(types: TokenType[]): string {
    const seen = [...new Set(types.map((t) => (t === T.Ident ? 'an identifier' : tokenLabel(t))))];
    const shown = seen.slice(0, 8);
    const more = seen.length > shown.length ? ', …' : '';
    return shown.length <= 1 ? (shown[0] ?? 'something else') : `one of ${shown.join(', ')}${more}`;
  }

  private remember(msg: string, types: TokenType[]): string {
    this.expected.set(msg, types);
    return msg;
  }

  buildMismatchTokenMessage(o: { expected: TokenType; actual: IToken; ruleName: string }): string {
    return this.remember(`expected ${this.names([o.expected])} but found ${this.describe(o.actual)}`, [
      o.expected,
    ]);
  }

  buildNotAllInputParsedMessage(o: { firstRedundant: IToken }): string {
    return this.remember(
      `unexpected ${this.describe(o.firstRedundant)}: the statement should end here (missing ';' or an operator?)`,
      [],
    );
  }

  buildNoViableAltMessage(o: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    ruleName: string;
  }): string {
    const firsts = o.expectedPathsPerAlt.flatMap((alt) =>
      alt.map((p) => p[0]).filter((t) => t !== undefined),
    );
    const actual = o.actual[0];
    return this.remember(
      `expected ${this.names(firsts)} but found ${actual ? this.describe(actual) : 'end of statement'}`,
      firsts,
    );
  }

  buildEarlyExitMessage(o: {
    expectedIterationPaths: TokenType[][];
    actual: IToken[];
    ruleName: string;
  }): string {
    const firsts = o.expectedIterationPaths.map((p) => p[0]).filter((t) => t !== undefined);
    const actual = o.actual[0];
    return this.remember(
      `expected ${this.names(firsts)} but found ${actual ? this.describe(actual) : 'end of statement'}`,
      firsts,
    );
  }
}

export const messages = new Messages();

type ParseDiag = Omit<Diagnostic, 'span'> & { span: Span };

/**
 * The darq SQL grammar (Flink SQL with darq extensions), LL(k) without backtracking. Actions build the AST
 * directly (an embedded-actions parser: one pass, no CST to walk afterwards).
 */
export class SqlParser extends EmbeddedActionsParser {
  file: string | undefined;
  /** Problems found by actions (unknown type names, bad numbers): reported with the syntax errors. */
  actionDiagnostics: ParseDiag[] = [];

  /**
   * `validate` runs chevrotain's grammar checks (ambiguities, left recursion): ~0.4 s, so the shared instance
   * skips them and a test builds a validating one.
   */
  constructor(opts: { validate?: boolean } = {}) {
    super(T.allTokens, {
      maxLookahead: 2,
      errorMessageProvider: messages,
      recoveryEnabled: false,
      skipValidations: opts.validate !== true,
    });
    this.performSelfAnalysis();
  }

  /**
   * chevrotain computes the expected-token paths of a failed alternation on every syntax error (its source
   * has a TODO to cache them); for an alternation that can start an expression that is ~20 ms. They depend
   * only on the grammar, so they are cached per (rule, occurrence). Relies on chevrotain 11 internals
   * (pinned); falls back to chevrotain's own method if they are missing.
   */
  private readonly altPathsCache = new Map<string, TokenType[][][]>();

  raiseNoAltException(occurrence: number, errMsgTypes: string): never {
    const self = this as unknown as ChevrotainInternals;
    if (typeof self.getCurrRuleFullName !== 'function' || typeof self.SAVE_ERROR !== 'function') {
      return (EmbeddedActionsParser.prototype as unknown as ChevrotainInternals).raiseNoAltException.call(
        this,
        occurrence,
        errMsgTypes,
      );
    }
    const ruleName = self.getCurrRuleFullName();
    const key = `${ruleName}#${occurrence}`;
    let paths = this.altPathsCache.get(key);
    if (!paths) {
      paths = getLookaheadPaths({
        occurrence,
        rule: this.getGAstProductions()[ruleName]!,
        prodType: 'Alternation',
        maxLookahead: self.maxLookahead,
      });
      this.altPathsCache.set(key, paths);
    }
    const actual: IToken[] = [];
    for (let i = 1; i <= self.maxLookahead; i++) actual.push(this.LA(i));
    const previous = this.LA(0);
    const msg = messages.buildNoViableAltMessage({ expectedPathsPerAlt: paths, actual, ruleName });
    throw self.SAVE_ERROR(new NoViableAltException(msg, this.LA(1), previous));
  }

  private sp(start: IToken): Span {
    if (this.RECORDING_PHASE || start === undefined) return NO_SPAN;
    const end = this.LA(0);
    return tokenSpan(
      start,
      end && end.tokenType !== EOF && end.startOffset >= start.startOffset ? end : start,
      this.file,
    );
  }

  private report(code: string, message: string, tok: IToken, hint?: string): void {
    this.ACTION(() => {
      this.actionDiagnostics.push({
        code,
        severity: 'error',
        message,
        span: tokenSpan(tok, tok, this.file),
        ...(hint ? { hint } : {}),
      });
    });
  }

  // ---------------------------------------------------------------- statements

  public statement = this.RULE('statement', (): Statement => {
    return this.OR([
      alt(() => this.SUBRULE(this.createStmt)),
      alt(() => this.SUBRULE(this.insertStmt)),
      alt(() => this.SUBRULE(this.explainStmt)),
      alt(() => this.SUBRULE(this.setStmt)),
      alt(() => {
        const start = this.LA(1);
        const query = this.SUBRULE(this.query);
        return { kind: 'QueryStmt' as const, query, span: this.sp(start) };
      }),
    ]);
  });

  private explainStmt = this.RULE('explainStmt', (): Statement => {
    const start = this.CONSUME(T.Explain);
    const target = this.SUBRULE(this.statement);
    return { kind: 'Explain', target, span: this.sp(start) };
  });

  /** `SET 'key' = 'value'` (Flink SQL client). */
  private setStmt = this.RULE('setStmt', (): Statement => {
    const start = this.CONSUME(T.SetKw);
    const key = this.SUBRULE(this.optionKey);
    this.CONSUME(T.Eq);
    const value = this.SUBRULE(this.optionValue);
    return { kind: 'Set', key, value, span: this.sp(start) };
  });

  private insertStmt = this.RULE('insertStmt', (): Statement => {
    const start = this.CONSUME(T.Insert);
    this.CONSUME(T.Into);
    const sink = this.SUBRULE(this.identifier);
    let columns: string[] | undefined;
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      columns = this.SUBRULE(this.identList);
      this.CONSUME(T.RParen);
    });
    const query = this.SUBRULE(this.query);
    return { kind: 'Insert', sink, ...(columns ? { columns } : {}), query, span: this.sp(start) };
  });

  private createStmt = this.RULE('createStmt', (): Statement => {
    const start = this.CONSUME(T.Create);
    this.OPTION(() => {
      this.CONSUME(T.Or);
      this.CONSUME(T.Replace);
    });
    this.OPTION2(() => this.CONSUME(T.Temporary));
    return this.OR([
      alt(() => {
        const kw = this.OR2([alt(() => this.CONSUME(T.Source)), alt(() => this.CONSUME(T.Table))]);
        this.SUBRULE(this.ifNotExists);
        const name = this.SUBRULE(this.identifier);
        let body: ReturnType<typeof this.columnList> | undefined;
        this.OPTION6(() => {
          body = this.SUBRULE(this.columnList);
        });
        const partitionedBy = this.SUBRULE(this.partitioned);
        const options = this.SUBRULE(this.withOptions);
        return {
          kind: 'CreateSource' as const,
          keyword: kw.tokenType === T.Table ? ('TABLE' as const) : ('SOURCE' as const),
          name,
          columns: body?.columns ?? [],
          ...(body === undefined ? { typeless: true } : {}),
          ...(body?.watermark ? { watermark: body.watermark } : {}),
          ...(body?.primaryKey ? { primaryKey: body.primaryKey } : {}),
          ...(partitionedBy ? { partitionedBy } : {}),
          options,
          span: this.sp(start),
        };
      }),
      alt(() => {
        this.CONSUME(T.Sink);
        this.SUBRULE2(this.ifNotExists);
        const name = this.SUBRULE2(this.identifier);
        let body: ReturnType<typeof this.columnList> | undefined;
        this.OPTION3(() => {
          body = this.SUBRULE2(this.columnList);
        });
        const partitionedBy = this.SUBRULE2(this.partitioned);
        const options = this.SUBRULE2(this.withOptions);
        return {
          kind: 'CreateSink' as const,
          name,
          ...(body ? { columns: body.columns } : {}),
          ...(body?.primaryKey ? { primaryKey: body.primaryKey } : {}),
          ...(partitionedBy ? { partitionedBy } : {}),
          options,
          span: this.sp(start),
        };
      }),
      alt(() => {
        this.CONSUME(T.View);
        this.SUBRULE3(this.ifNotExists);
        const name = this.SUBRULE3(this.identifier);
        this.CONSUME(T.As);
        const query = this.SUBRULE(this.query);
        return { kind: 'CreateView' as const, name, query, span: this.sp(start) };
      }),
      alt(() => {
        let aggregate = false;
        this.OPTION4(() => {
          this.CONSUME(T.AggregateKw);
          aggregate = true;
        });
        this.CONSUME(T.FunctionKw);
        this.SUBRULE4(this.ifNotExists);
        const name = this.SUBRULE4(this.identifier);
        const params: { name: string; type: DataType }[] = [];
        let returns: DataType | undefined;
        let typed = false;
        this.OPTION5(() => {
          this.CONSUME(T.LParen);
          typed = true;
          this.MANY_SEP(
            sep(T.Comma, () => {
              const pname = this.SUBRULE5(this.identifier);
              const type = this.SUBRULE(this.dataType);
              params.push({ name: pname, type });
            }),
          );
          this.CONSUME(T.RParen);
          this.CONSUME(T.Returns);
          returns = this.SUBRULE2(this.dataType);
        });
        this.CONSUME(T.From);
        const path = unquoteString(this.CONSUME(T.StringLiteral).image);
        return {
          kind: 'CreateFunction' as const,
          name,
          aggregate,
          ...(typed ? { params } : {}),
          ...(returns ? { returns } : {}),
          path,
          span: this.sp(start),
        };
      }),
    ]);
  });

  /** `PARTITIONED BY (dt, hm)` (Flink filesystem sinks). */
  private partitioned = this.RULE('partitioned', (): string[] | undefined => {
    let cols: string[] | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Partitioned);
      this.CONSUME(T.By);
      this.CONSUME(T.LParen);
      cols = this.SUBRULE(this.identList);
      this.CONSUME(T.RParen);
    });
    return cols;
  });

  private ifNotExists = this.RULE('ifNotExists', () => {
    this.OPTION(() => {
      this.CONSUME(T.If);
      this.CONSUME(T.Not);
      this.CONSUME(T.Exists);
    });
  });

  private columnList = this.RULE(
    'columnList',
    (): { columns: ColumnAst[]; watermark?: WatermarkAst; primaryKey?: string[] } => {
      const columns: ColumnAst[] = [];
      let watermark: WatermarkAst | undefined;
      let primaryKey: string[] | undefined;
      this.CONSUME(T.LParen);
      this.AT_LEAST_ONE_SEP(
        sep(T.Comma, () => {
          this.OR([
            // Flink: WATERMARK FOR rowtime AS rowtime - INTERVAL '5' SECOND (AS optional, as in Arroyo)
            alt(() => {
              const start = this.CONSUME(T.Watermark);
              this.CONSUME(T.For);
              const column = this.SUBRULE(this.identifier);
              let expr: AstExpr | undefined;
              this.OPTION(() => {
                this.CONSUME(T.As);
                expr = this.SUBRULE(this.expr);
              });
              watermark = { column, ...(expr ? { expr } : {}), span: this.sp(start) };
            }),
            alt(() => {
              this.CONSUME(T.Primary);
              this.CONSUME(T.Key);
              this.CONSUME2(T.LParen);
              primaryKey = this.SUBRULE(this.identList);
              this.CONSUME2(T.RParen);
              this.OPTION2(() => {
                this.CONSUME(T.Not);
                this.CONSUME(T.Enforced);
              });
            }),

            // computed column: name AS expr
            alt(
              () => {
                const start = this.LA(1);
                const name = this.SUBRULE2(this.identifier);
                this.CONSUME2(T.As);
                const expr = this.SUBRULE2(this.expr);
                columns.push({ kind: 'ComputedColumn', name, expr, span: this.sp(start) });
              },
              () => this.LA(2).tokenType === T.As,
            ),
            alt(() => {
              const start = this.LA(1);
              const name = this.SUBRULE3(this.identifier);
              const type = this.SUBRULE(this.dataType);
              let notNull = false;
              this.OPTION3(() => {
                this.OR2([
                  alt(() => {
                    this.CONSUME2(T.Not);
                    this.CONSUME(T.Null);
                    notNull = true;
                  }),
                  alt(() => this.CONSUME2(T.Null)),
                ]);
              });
              // Arroyo style: id INT PRIMARY KEY [NOT ENFORCED]
              this.OPTION4(() => {
                this.CONSUME2(T.Primary);
                this.CONSUME2(T.Key);
                this.OPTION5(() => {
                  this.CONSUME3(T.Not);
                  this.CONSUME2(T.Enforced);
                });
                primaryKey = [name];
              });
              columns.push({ kind: 'PhysicalColumn', name, type, notNull, span: this.sp(start) });
            }),
          ]);
        }),
      );
      this.CONSUME(T.RParen);
      return { columns, ...(watermark ? { watermark } : {}), ...(primaryKey ? { primaryKey } : {}) };
    },
  );

  /** Types: BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL(p,s), VARCHAR, TIMESTAMP(3), TIMESTAMP_LTZ(3), ARRAY<T>, ROW<…>. */
  public dataType = this.RULE('dataType', (): DataType => {
    return this.OR([
      alt(() => {
        this.CONSUME(T.ArrayKw);
        this.CONSUME(T.Lt);
        const element = this.SUBRULE(this.dataType);
        this.CONSUME(T.Gt);
        return { kind: 'ARRAY' as const, element };
      }),
      alt(() => {
        this.CONSUME(T.Row);
        const fields: Field[] = [];
        const close = this.OR2([
          alt(() => {
            this.CONSUME2(T.Lt);
            return T.Gt;
          }),
          alt(() => {
            this.CONSUME(T.LParen);
            return T.RParen;
          }),
        ]);
        this.MANY_SEP(
          sep(T.Comma, () => {
            const name = this.SUBRULE(this.identifier);
            const type = this.SUBRULE2(this.dataType);
            let nullable = true;
            this.OPTION(() => {
              this.CONSUME(T.Not);
              this.CONSUME(T.Null);
              nullable = false;
            });
            fields.push({ name, type, nullable });
          }),
        );
        this.OR3([
          alt(
            () => this.CONSUME2(T.Gt),
            () => close === T.Gt,
          ),
          alt(() => this.CONSUME(T.RParen)),
        ]);
        return { kind: 'ROW' as const, fields };
      }),
      alt(() => {
        const tok = this.CONSUME(T.PlainIdentifier);
        const args: number[] = [];
        this.OPTION2(() => {
          this.CONSUME2(T.LParen);
          this.AT_LEAST_ONE_SEP(
            sep(T.Comma, () => {
              args.push(Number(this.CONSUME(T.NumberLiteral).image));
            }),
          );
          this.CONSUME2(T.RParen);
        });
        this.OPTION3(() => this.CONSUME(T.Unsigned));
        let ltz = false;
        // TIMESTAMP(3) WITH LOCAL TIME ZONE
        this.OPTION4(() => {
          this.CONSUME(T.With);
          const a = this.CONSUME2(T.PlainIdentifier);
          const b = this.CONSUME3(T.PlainIdentifier);
          const c = this.CONSUME4(T.PlainIdentifier);
          this.ACTION(() => {
            if (`${a.image} ${b.image} ${c.image}`.toUpperCase() !== 'LOCAL TIME ZONE')
              this.report('E110', `expected WITH LOCAL TIME ZONE`, a);
            ltz = true;
          });
        });
        return this.ACTION(() => {
          const name = tok.image.toUpperCase();
          const make = TYPE_NAMES[name];
          if (!make) {
            this.report(
              'E110',
              `unknown type '${tok.image}'`,
              tok,
              didYouMean(name, Object.keys(TYPE_NAMES)) ??
                'types are BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL(p, s), VARCHAR, TIMESTAMP(3), TIMESTAMP_LTZ(3), ARRAY<T>, ROW<…>',
            );
            return { kind: 'VARCHAR' as const };
          }
          const t = make(args);
          return ltz && t.kind === 'TIMESTAMP' ? { ...t, ltz: true } : t;
        }) as DataType;
      }),
    ]);
  });

  private withOptions = this.RULE('withOptions', (): OptionAst[] => {
    const out: OptionAst[] = [];
    this.OPTION(() => {
      this.CONSUME(T.With);
      this.CONSUME(T.LParen);
      this.MANY_SEP(
        sep(T.Comma, () => {
          const start = this.LA(1);
          const key = this.SUBRULE(this.optionKey);
          this.CONSUME(T.Eq);
          const value = this.SUBRULE(this.optionValue);
          out.push({ key, value, span: this.sp(start) });
        }),
      );
      this.CONSUME(T.RParen);
    });
    return out;
  });

  private optionKey = this.RULE('optionKey', (): string => {
    return this.OR([
      alt(() => unquoteString(this.CONSUME(T.StringLiteral).image)),
      alt(() => {
        const parts = [unquoteIdent(this.CONSUME(T.AnyWord).image)];
        this.MANY(() => {
          this.CONSUME(T.Dot);
          parts.push(unquoteIdent(this.CONSUME2(T.AnyWord).image));
        });
        return parts.join('.');
      }),
    ]);
  });

  private optionValue = this.RULE('optionValue', (): string => {
    return this.OR([
      alt(() => unquoteString(this.CONSUME(T.StringLiteral).image)),
      alt(() => this.CONSUME(T.NumberLiteral).image),
      alt(() => this.CONSUME(T.True).image.toLowerCase()),
      alt(() => this.CONSUME(T.False).image.toLowerCase()),
      alt(() => this.SUBRULE(this.identifier)),
    ]);
  });

  // ---------------------------------------------------------------- queries

  public query = this.RULE('query', (): Query => {
    const start = this.LA(1);
    const ctes: Cte[] = [];
    this.OPTION(() => {
      this.CONSUME(T.With);
      this.AT_LEAST_ONE_SEP(
        sep(T.Comma, () => {
          const cstart = this.LA(1);
          const name = this.SUBRULE(this.identifier);
          this.CONSUME(T.As);
          this.CONSUME(T.LParen);
          const q = this.SUBRULE(this.query);
          this.CONSUME(T.RParen);
          ctes.push({ name, query: q, span: this.sp(cstart) });
        }),
      );
    });
    let body = this.SUBRULE(this.queryTerm);
    this.MANY(() => {
      const ustart = this.CONSUME(T.UnionKw);
      let all = false;
      this.OPTION2(() => {
        this.CONSUME(T.All);
        all = true;
      });
      const right = this.SUBRULE2(this.queryTerm);
      body = {
        kind: 'UnionAll',
        all,
        left: body,
        right,
        span: this.ACTION(() => spanOf(body, right, ustart, this.file)),
      };
    });
    let orderBy: OrderItem[] = [];
    this.OPTION3(() => {
      this.CONSUME(T.Order);
      this.CONSUME(T.By);
      orderBy = this.SUBRULE(this.orderItems);
    });
    let limit: number | undefined;
    this.OPTION4(() => {
      this.CONSUME(T.LimitKw);
      limit = Number(this.CONSUME(T.NumberLiteral).image);
    });
    return {
      kind: 'Query',
      ctes,
      body,
      orderBy,
      ...(limit !== undefined ? { limit } : {}),
      span: this.sp(start),
    };
  });

  private queryTerm = this.RULE('queryTerm', (): QueryBody => {
    return this.OR([
      alt(() => this.SUBRULE(this.selectCore)),
      alt(() => {
        const start = this.CONSUME(T.ValuesKw);
        const rows: AstExpr[][] = [];
        this.AT_LEAST_ONE_SEP(
          sep(T.Comma, () => {
            this.CONSUME(T.LParen);
            rows.push(this.SUBRULE(this.exprList));
            this.CONSUME(T.RParen);
          }),
        );
        return { kind: 'ValuesBody' as const, rows, span: this.sp(start) };
      }),
      alt(() => {
        this.CONSUME2(T.LParen);
        const q = this.SUBRULE(this.query);
        this.CONSUME2(T.RParen);
        return q;
      }),
    ]);
  });

  private selectCore = this.RULE('selectCore', (): SelectCore => {
    const start = this.CONSUME(T.Select);
    let distinct = false;
    this.OPTION(() => {
      this.OR([
        alt(() => {
          this.CONSUME(T.DistinctKw);
          distinct = true;
        }),
        alt(() => this.CONSUME(T.All)),
      ]);
    });
    const items: SelectItem[] = [];
    this.AT_LEAST_ONE_SEP(sep(T.Comma, () => items.push(this.SUBRULE(this.selectItem))));
    let from: Relation | undefined;
    this.OPTION2(() => {
      this.CONSUME(T.From);
      from = this.SUBRULE(this.fromClause);
    });
    let where: AstExpr | undefined;
    this.OPTION3(() => {
      this.CONSUME(T.Where);
      where = this.SUBRULE(this.expr);
    });
    let groupBy: AstExpr[] = [];
    this.OPTION4(() => {
      this.CONSUME(T.Group);
      this.CONSUME(T.By);
      groupBy = this.SUBRULE(this.exprList);
    });
    let having: AstExpr | undefined;
    this.OPTION5(() => {
      this.CONSUME(T.Having);
      having = this.SUBRULE2(this.expr);
    });
    let emit: 'FINAL' | 'CHANGES' | undefined;
    this.OPTION6(() => {
      this.CONSUME(T.Emit);
      emit = this.OR2([
        alt(() => {
          this.CONSUME(T.Final);
          return 'FINAL' as const;
        }),
        alt(() => {
          this.CONSUME(T.Changes);
          return 'CHANGES' as const;
        }),
      ]);
    });
    let lateInto: string | undefined;
    this.OPTION7(() => {
      this.CONSUME(T.Late);
      this.CONSUME(T.Into);
      lateInto = this.SUBRULE(this.identifier);
    });
    return {
      kind: 'SelectCore',
      distinct,
      items,
      ...(from ? { from } : {}),
      ...(where ? { where } : {}),
      groupBy,
      ...(having ? { having } : {}),
      ...(emit ? { emit } : {}),
      ...(lateInto ? { lateInto } : {}),
      span: this.sp(start),
    };
  });

  private selectItem = this.RULE('selectItem', (): SelectItem => {
    return this.OR([
      alt(() => {
        const s = this.CONSUME(T.Star);
        return { kind: 'Star' as const, span: this.sp(s) };
      }),
      alt(
        () => {
          const start = this.LA(1);
          const qualifier = this.SUBRULE(this.identifier);
          this.CONSUME(T.Dot);
          this.CONSUME2(T.Star);
          return { kind: 'Star' as const, qualifier, span: this.sp(start) };
        },
        () => this.LA(2).tokenType === T.Dot && this.LA(3).tokenType === T.Star,
      ),
      alt(() => {
        const start = this.LA(1);
        const expr = this.SUBRULE(this.expr);
        const alias = this.SUBRULE(this.optAlias);
        return {
          kind: 'ExprItem' as const,
          expr,
          ...(alias !== undefined ? { alias } : {}),
          span: this.sp(start),
        };
      }),
    ]);
  });

  private bareAliasAllowed(): boolean {
    const a = this.LA(1).tokenType;
    const b = this.LA(2).tokenType;
    return !(a === T.Late && b === T.Into) && !(a === T.Emit && (b === T.Final || b === T.Changes));
  }

  private optAlias = this.RULE('optAlias', (): string | undefined => {
    let alias: string | undefined;
    this.OPTION(
      // a bare alias is never the start of a clause that may follow it (LATE INTO, EMIT FINAL)
      gated(
        () => this.bareAliasAllowed(),
        () => {
          this.OPTION2(() => this.CONSUME(T.As));
          alias = this.SUBRULE(this.identifier);
        },
      ),
    );
    return alias;
  });

  private fromClause = this.RULE('fromClause', (): Relation => {
    const start = this.LA(1);
    let rel = this.SUBRULE(this.tablePrimary);
    this.MANY(() => {
      this.OR([
        alt(() => {
          this.CONSUME(T.Comma);
          const right = this.SUBRULE2(this.tablePrimary);
          rel = { kind: 'JoinRef', joinKind: 'cross', left: rel, right, span: this.sp(start) };
        }),
        alt(() => {
          const joinKind = this.SUBRULE(this.joinKind);
          this.CONSUME(T.JoinKw);
          const right = this.SUBRULE3(this.tablePrimary);
          let on: AstExpr | undefined;
          this.OPTION(() => {
            this.CONSUME(T.On);
            on = this.SUBRULE(this.expr);
          });
          rel = {
            kind: 'JoinRef',
            joinKind: on === undefined && joinKind === 'inner' ? 'cross' : joinKind,
            left: rel,
            right,
            ...(on ? { on } : {}),
            span: this.sp(start),
          };
        }),
      ]);
    });
    return rel;
  });

  private joinKind = this.RULE('joinKind', (): 'inner' | 'left' | 'right' | 'full' | 'cross' => {
    let kind: 'inner' | 'left' | 'right' | 'full' | 'cross' = 'inner';
    this.OPTION(() => {
      this.OR([
        alt(() => this.CONSUME(T.Inner)),
        alt(() => {
          this.CONSUME(T.Cross);
          return (kind = 'cross');
        }),
        alt(() => {
          kind = this.OR2([
            alt(() => {
              this.CONSUME(T.Left);
              return 'left' as const;
            }),
            alt(() => {
              this.CONSUME(T.Right);
              return 'right' as const;
            }),
            alt(() => {
              this.CONSUME(T.Full);
              return 'full' as const;
            }),
          ]);
          this.OPTION2(() => this.CONSUME(T.Outer));
        }),
      ]);
    });
    return kind;
  });

  private tablePrimary = this.RULE('tablePrimary', (): Relation => {
    return this.OR([
      // Flink window TVF: TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
      alt(() => {
        const start = this.OR4([alt(() => this.CONSUME(T.Table)), alt(() => this.CONSUME(T.Lateral))]);
        this.OPTION4(() => this.CONSUME2(T.Table));
        this.CONSUME(T.LParen);
        const fn = this.SUBRULE(this.identifier);
        this.CONSUME2(T.LParen);
        const args: TvfArg[] = [];
        this.MANY_SEP(sep(T.Comma, () => args.push(this.SUBRULE(this.tvfArg))));
        this.CONSUME2(T.RParen);
        this.CONSUME(T.RParen);
        const alias = this.SUBRULE(this.optAlias);
        return {
          kind: 'TvfRef' as const,
          fn: this.ACTION(() => fn.toUpperCase()),
          args,
          ...(alias !== undefined ? { alias } : {}),
          span: this.sp(start),
        };
      }),
      alt(() => {
        const start = this.CONSUME(T.UnnestKw);
        this.CONSUME3(T.LParen);
        const expr = this.SUBRULE(this.expr);
        this.CONSUME3(T.RParen);
        let alias: string | undefined;
        let column: string | undefined;
        this.OPTION(
          gated(
            () => this.bareAliasAllowed(),
            () => {
              this.OPTION2(() => this.CONSUME(T.As));
              alias = this.SUBRULE2(this.identifier);
              this.OPTION3(() => {
                this.CONSUME4(T.LParen);
                column = this.SUBRULE3(this.identifier);
                this.CONSUME4(T.RParen);
              });
            },
          ),
        );
        return {
          kind: 'UnnestRef' as const,
          expr,
          ...(alias !== undefined ? { alias } : {}),
          ...(column !== undefined ? { column } : {}),
          span: this.sp(start),
        };
      }),
      alt(() => {
        const start = this.CONSUME5(T.LParen);
        const query = this.SUBRULE(this.query);
        this.CONSUME5(T.RParen);
        const alias = this.SUBRULE2(this.optAlias);
        return {
          kind: 'SubqueryRef' as const,
          query,
          ...(alias !== undefined ? { alias } : {}),
          span: this.sp(start),
        };
      }),
      alt(() => {
        const start = this.LA(1);
        const name = this.SUBRULE4(this.identifier);
        let asOf: AstExpr | undefined;
        // Flink lookup join: side FOR SYSTEM_TIME AS OF b.p_time
        this.OPTION5(() => {
          this.CONSUME(T.For);
          this.CONSUME(T.SystemTime);
          this.CONSUME2(T.As);
          this.CONSUME(T.Of);
          asOf = this.SUBRULE2(this.expr);
        });
        const alias = this.SUBRULE3(this.optAlias);
        return {
          kind: 'TableRef' as const,
          name,
          ...(alias !== undefined ? { alias } : {}),
          ...(asOf ? { asOf } : {}),
          span: this.sp(start),
        };
      }),
    ]);
  });

  /** A TVF argument, positional or named (`SIZE => INTERVAL '10' MINUTES`). */
  private tvfArg = this.RULE('tvfArg', (): TvfArg => {
    const start = this.LA(1);
    let name: string | undefined;
    this.OPTION(
      gated(
        () => this.LA(2).tokenType === T.Arrow,
        () => {
          name = this.SUBRULE(this.identifier);
          this.CONSUME(T.Arrow);
        },
      ),
    );
    const vstart = this.LA(1);
    const value = this.OR([
      alt((): TvfArgValue => {
        this.CONSUME(T.Table);
        const tname = this.SUBRULE2(this.identifier);
        const partitionBy: string[] = [];
        this.OPTION2(() => {
          this.CONSUME(T.Partition);
          this.CONSUME(T.By);
          partitionBy.push(this.SUBRULE3(this.identifier));
          // the list ends where the next TVF argument (DESCRIPTOR, a named argument) begins
          this.MANY(
            gated(
              () => this.LA(2).tokenType !== T.Descriptor && this.LA(3).tokenType !== T.Arrow,
              () => {
                this.CONSUME(T.Comma);
                partitionBy.push(this.SUBRULE4(this.identifier));
              },
            ),
          );
        });
        return { kind: 'TableArg', name: tname, partitionBy, span: this.sp(vstart) };
      }),
      alt((): TvfArgValue => {
        this.CONSUME(T.Descriptor);
        this.CONSUME(T.LParen);
        const columns = this.SUBRULE2(this.identList);
        this.CONSUME(T.RParen);
        return { kind: 'DescriptorArg', columns, span: this.sp(vstart) };
      }),
      alt((): TvfArgValue => {
        const expr = this.SUBRULE(this.expr);
        return { kind: 'ExprArg', expr, span: this.sp(vstart) };
      }),
    ]);
    return { ...(name !== undefined ? { name } : {}), value, span: this.sp(start) };
  });

  private orderItems = this.RULE('orderItems', (): OrderItem[] => {
    const items: OrderItem[] = [];
    this.AT_LEAST_ONE_SEP(
      sep(T.Comma, () => {
        const start = this.LA(1);
        const expr = this.SUBRULE(this.expr);
        let direction: 'ASC' | 'DESC' | undefined;
        let nulls: 'FIRST' | 'LAST' | undefined;
        this.OPTION(() => {
          direction = this.OR([
            alt(() => {
              this.CONSUME(T.Asc);
              return 'ASC' as const;
            }),
            alt(() => {
              this.CONSUME(T.Desc);
              return 'DESC' as const;
            }),
          ]);
        });
        this.OPTION2(() => {
          this.CONSUME(T.Nulls);
          nulls = this.OR2([
            alt(() => {
              this.CONSUME(T.First);
              return 'FIRST' as const;
            }),
            alt(() => {
              this.CONSUME(T.Last);
              return 'LAST' as const;
            }),
          ]);
        });
        items.push({
          expr,
          ...(direction ? { direction } : {}),
          ...(nulls ? { nulls } : {}),
          span: this.sp(start),
        });
      }),
    );
    return items;
  });

  // ---------------------------------------------------------------- expressions (lowest precedence first)

  public expr = this.RULE('expr', (): AstExpr => {
    const start = this.LA(1);
    let left = this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      const right = this.SUBRULE2(this.andExpr);
      left = { kind: 'Binary', op: 'OR', left, right, span: this.sp(start) };
    });
    return left;
  });

  private andExpr = this.RULE('andExpr', (): AstExpr => {
    const start = this.LA(1);
    let left = this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      const right = this.SUBRULE2(this.notExpr);
      left = { kind: 'Binary', op: 'AND', left, right, span: this.sp(start) };
    });
    return left;
  });

  private notExpr = this.RULE('notExpr', (): AstExpr => {
    return this.OR([
      alt(() => {
        const start = this.CONSUME(T.Not);
        const operand = this.SUBRULE(this.notExpr);
        return { kind: 'Unary' as const, op: 'NOT' as const, operand, span: this.sp(start) };
      }),
      alt(() => this.SUBRULE(this.predicate)),
    ]);
  });

  private predicate = this.RULE('predicate', (): AstExpr => {
    const start = this.LA(1);
    const left = this.SUBRULE(this.additive);
    let result: AstExpr = left;
    this.OPTION(() => {
      this.OR([
        alt(() => {
          const op = this.SUBRULE(this.compOp);
          const right = this.SUBRULE2(this.additive);
          result = { kind: 'Binary', op, left, right, span: this.sp(start) };
        }),
        alt(() => {
          this.CONSUME(T.Is);
          let not = false;
          this.OPTION2(() => {
            this.CONSUME(T.Not);
            not = true;
          });
          const what = this.OR2([
            alt(() => {
              this.CONSUME(T.Null);
              return 'NULL' as const;
            }),
            alt(() => {
              this.CONSUME(T.True);
              return 'TRUE' as const;
            }),
            alt(() => {
              this.CONSUME(T.False);
              return 'FALSE' as const;
            }),
          ]);
          result = { kind: 'IsExpr', expr: left, what, not, span: this.sp(start) };
        }),
        alt(() => {
          let not = false;
          this.OPTION3(() => {
            this.CONSUME2(T.Not);
            not = true;
          });
          this.OR3([
            alt(() => {
              this.CONSUME(T.In);
              this.CONSUME(T.LParen);
              const list = this.SUBRULE(this.exprList);
              this.CONSUME(T.RParen);
              result = { kind: 'InExpr', expr: left, list, not, span: this.sp(start) };
            }),
            alt(() => {
              this.CONSUME(T.Between);
              const low = this.SUBRULE3(this.additive);
              this.CONSUME(T.And);
              const high = this.SUBRULE4(this.additive);
              result = { kind: 'BetweenExpr', expr: left, low, high, not, span: this.sp(start) };
            }),
            alt(() => {
              this.CONSUME(T.Like);
              const pattern = this.SUBRULE5(this.additive);
              result = { kind: 'LikeExpr', expr: left, pattern, not, span: this.sp(start) };
            }),
          ]);
        }),
      ]);
    });
    return result;
  });

  private compOp = this.RULE('compOp', (): BinaryOp => {
    return this.OR([
      alt(() => {
        this.CONSUME(T.Eq);
        return '=' as const;
      }),
      alt(() => {
        this.CONSUME(T.NotEq);
        return '<>' as const;
      }),
      alt(() => {
        this.CONSUME(T.LtEq);
        return '<=' as const;
      }),
      alt(() => {
        this.CONSUME(T.GtEq);
        return '>=' as const;
      }),
      alt(() => {
        this.CONSUME(T.Lt);
        return '<' as const;
      }),
      alt(() => {
        this.CONSUME(T.Gt);
        return '>' as const;
      }),
    ]);
  });

  private additive = this.RULE('additive', (): AstExpr => {
    const start = this.LA(1);
    let left = this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      const op = this.OR([
        alt(() => {
          this.CONSUME(T.Plus);
          return '+' as const;
        }),
        alt(() => {
          this.CONSUME(T.Minus);
          return '-' as const;
        }),
        alt(() => {
          this.CONSUME(T.Concat);
          return '||' as const;
        }),
      ]);
      const right = this.SUBRULE2(this.multiplicative);
      left = { kind: 'Binary', op, left, right, span: this.sp(start) };
    });
    return left;
  });

  private multiplicative = this.RULE('multiplicative', (): AstExpr => {
    const start = this.LA(1);
    let left = this.SUBRULE(this.unary);
    this.MANY(() => {
      const op = this.OR([
        alt(() => {
          this.CONSUME(T.Star);
          return '*' as const;
        }),
        alt(() => {
          this.CONSUME(T.Slash);
          return '/' as const;
        }),
        alt(() => {
          this.CONSUME(T.Percent);
          return '%' as const;
        }),
      ]);
      const right = this.SUBRULE2(this.unary);
      left = { kind: 'Binary', op, left, right, span: this.sp(start) };
    });
    return left;
  });

  private unary = this.RULE('unary', (): AstExpr => {
    return this.OR([
      alt(() => {
        const start = this.CONSUME(T.Minus);
        const operand = this.SUBRULE(this.unary);
        return { kind: 'Unary' as const, op: '-' as const, operand, span: this.sp(start) };
      }),
      alt(() => {
        const start = this.CONSUME(T.Plus);
        const operand = this.SUBRULE2(this.unary);
        return { kind: 'Unary' as const, op: '+' as const, operand, span: this.sp(start) };
      }),
      alt(() => this.SUBRULE(this.postfix)),
    ]);
  });

  private postfix = this.RULE('postfix', (): AstExpr => {
    const start = this.LA(1);
    let e = this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        alt(() => {
          this.CONSUME(T.LBracket);
          const index = this.SUBRULE(this.expr);
          this.CONSUME(T.RBracket);
          e = { kind: 'Subscript', expr: e, index, span: this.sp(start) };
        }),
        alt(() => {
          this.CONSUME(T.Dot);
          const f = this.SUBRULE(this.identifier);
          e = { kind: 'FieldAccess', expr: e, field: f, span: this.sp(start) };
        }),
      ]);
    });
    return e;
  });

  private primary = this.RULE('primary', (): AstExpr => {
    return this.OR([
      alt(() => {
        const t = this.CONSUME(T.NumberLiteral);
        return { kind: 'NumberLit' as const, text: t.image, span: this.sp(t) };
      }),
      alt(() => {
        const t = this.CONSUME(T.StringLiteral);
        return { kind: 'StringLit' as const, value: unquoteString(t.image), span: this.sp(t) };
      }),
      alt(() => {
        const t = this.CONSUME(T.True);
        return { kind: 'BoolLit' as const, value: true, span: this.sp(t) };
      }),
      alt(() => {
        const t = this.CONSUME(T.False);
        return { kind: 'BoolLit' as const, value: false, span: this.sp(t) };
      }),
      alt(() => {
        const t = this.CONSUME(T.Null);
        return { kind: 'NullLit' as const, span: this.sp(t) };
      }),
      alt(() => this.SUBRULE(this.intervalLit)),
      alt(() => this.SUBRULE(this.caseExpr)),
      alt(() => {
        const start = this.OR2([alt(() => this.CONSUME(T.CastKw)), alt(() => this.CONSUME(T.TryCast))]);
        this.CONSUME(T.LParen);
        const expr = this.SUBRULE(this.expr);
        this.CONSUME(T.As);
        const type = this.SUBRULE(this.dataType);
        this.CONSUME(T.RParen);
        return {
          kind: 'CastExpr' as const,
          expr,
          type,
          try: start.tokenType === T.TryCast,
          span: this.sp(start),
        };
      }),
      alt(() => {
        const start = this.CONSUME(T.Extract);
        this.CONSUME2(T.LParen);
        const unit = this.SUBRULE(this.identifier);
        this.CONSUME(T.From);
        const expr = this.SUBRULE2(this.expr);
        this.CONSUME2(T.RParen);
        return {
          kind: 'ExtractExpr' as const,
          unit: this.ACTION(() => unit.toUpperCase()),
          expr,
          span: this.sp(start),
        };
      }),
      alt(() => {
        const start = this.CONSUME(T.ArrayKw);
        this.CONSUME(T.LBracket);
        let items: AstExpr[] = [];
        this.OPTION(() => {
          items = this.SUBRULE(this.exprList);
        });
        this.CONSUME(T.RBracket);
        return { kind: 'ArrayCtor' as const, items, span: this.sp(start) };
      }),

      // UNNEST(array) in a select list (Arroyo style); planned as an Unnest node
      alt(() => {
        const start = this.CONSUME(T.UnnestKw);
        this.CONSUME5(T.LParen);
        const arg = this.SUBRULE4(this.expr);
        this.CONSUME5(T.RParen);
        return {
          kind: 'FuncCall' as const,
          name: 'UNNEST',
          args: [arg],
          star: false,
          distinct: false,
          span: this.sp(start),
        };
      }),
      alt(
        () => {
          const start = this.CONSUME3(T.LParen);
          const query = this.SUBRULE(this.query);
          this.CONSUME3(T.RParen);
          return { kind: 'ScalarSubquery' as const, query, span: this.sp(start) };
        },
        () => this.LA(2).tokenType === T.Select || this.LA(2).tokenType === T.With,
      ),
      alt(() => {
        this.CONSUME4(T.LParen);
        const e = this.SUBRULE3(this.expr);
        this.CONSUME4(T.RParen);
        return e;
      }),
      alt(() => this.SUBRULE(this.identOrCall)),
    ]);
  });

  /** `INTERVAL '10' SECOND`, `INTERVAL '1' DAY TO HOUR`, `INTERVAL '20 seconds'`, `INTERVAL -'1' MINUTE`. */
  private intervalLit = this.RULE('intervalLit', (): AstExpr => {
    const start = this.CONSUME(T.Interval);
    let negative = false;
    this.OPTION(() => {
      this.CONSUME(T.Minus);
      negative = true;
    });
    const value = this.OR([
      alt(() => unquoteString(this.CONSUME(T.StringLiteral).image)),
      alt(() => this.CONSUME(T.NumberLiteral).image),
    ]);
    let unit: string | undefined;
    let toUnit: string | undefined;
    this.OPTION2(
      gated(
        () => this.LA(1).tokenType === T.PlainIdentifier,
        () => {
          unit = this.CONSUME(T.PlainIdentifier).image.toUpperCase();
          this.OPTION3(() => {
            this.CONSUME(T.To);
            toUnit = this.CONSUME2(T.PlainIdentifier).image.toUpperCase();
          });
        },
      ),
    );
    return {
      kind: 'IntervalLit',
      value,
      ...(unit !== undefined ? { unit } : {}),
      ...(toUnit !== undefined ? { toUnit } : {}),
      negative,
      span: this.sp(start),
    };
  });

  private caseExpr = this.RULE('caseExpr', (): AstExpr => {
    const start = this.CONSUME(T.CaseKw);
    let operand: AstExpr | undefined;
    this.OPTION(() => {
      operand = this.SUBRULE(this.expr);
    });
    const whens: { when: AstExpr; result: AstExpr }[] = [];
    this.AT_LEAST_ONE(() => {
      this.CONSUME(T.When);
      const when = this.SUBRULE2(this.expr);
      this.CONSUME(T.Then);
      const result = this.SUBRULE3(this.expr);
      whens.push({ when, result });
    });
    let elseExpr: AstExpr | undefined;
    this.OPTION2(() => {
      this.CONSUME(T.Else);
      elseExpr = this.SUBRULE4(this.expr);
    });
    this.CONSUME(T.End);
    return {
      kind: 'CaseExpr',
      ...(operand ? { operand } : {}),
      whens,
      ...(elseExpr ? { else: elseExpr } : {}),
      span: this.sp(start),
    };
  });

  /** A column path (`a`, `t.a`), a typed literal (`TIMESTAMP '…'`) or a function call. */
  private identOrCall = this.RULE('identOrCall', (): AstExpr => {
    const start = this.LA(1);
    const first = this.SUBRULE(this.identifier);
    return this.OR([
      alt(() => {
        this.CONSUME(T.LParen);
        return this.SUBRULE(this.callRest, { ARGS: [first, start] });
      }),
      alt(() => {
        const v = this.CONSUME(T.StringLiteral);
        return {
          kind: 'TypedLit' as const,
          type: this.ACTION(() => first.toUpperCase()),
          value: unquoteString(v.image),
          span: this.sp(start),
        };
      }),
      alt(() => {
        const parts = [first];
        this.MANY(
          // a path continues with `.name` (not `.*`, which belongs to the select item)
          gated(
            () => this.LA(2).tokenType !== T.Star,
            () => {
              this.CONSUME(T.Dot);
              parts.push(this.SUBRULE2(this.identifier));
            },
          ),
        );
        return { kind: 'Identifier' as const, parts, span: this.sp(start) } satisfies Identifier;
      }),
    ]);
  });

  private callRest = this.RULE('callRest', (name: string, start: IToken): AstExpr => {
    const upper = this.ACTION(() => name.toUpperCase());
    let star = false;
    let distinct = false;
    let args: AstExpr[] = [];
    let toUnit: string | undefined;
    this.OPTION(() => {
      this.OR([
        alt(() => {
          this.CONSUME(T.Star);
          star = true;
        }),
        alt(() => {
          this.OPTION2(() => {
            this.OR2([
              alt(() => {
                this.CONSUME(T.DistinctKw);
                return (distinct = true);
              }),
              alt(() => this.CONSUME(T.All)),
            ]);
          });
          args = this.SUBRULE(this.exprList);
          // FLOOR(ts TO HOUR), CEIL(ts TO DAY)
          this.OPTION3(() => {
            this.CONSUME(T.To);
            toUnit = this.SUBRULE(this.identifier);
          });
          // SUBSTRING(s FROM 2 FOR 3)
          this.OPTION4(() => {
            this.CONSUME(T.From);
            const from = this.SUBRULE(this.expr);
            this.ACTION(() => args.push(from));
            this.OPTION5(() => {
              this.CONSUME(T.For);
              const len = this.SUBRULE2(this.expr);
              this.ACTION(() => args.push(len));
            });
          });
        }),
      ]);
    });
    this.CONSUME(T.RParen);
    let filter: AstExpr | undefined;
    this.OPTION6(() => {
      this.CONSUME(T.FilterKw);
      this.CONSUME2(T.LParen);
      this.CONSUME(T.Where);
      filter = this.SUBRULE3(this.expr);
      this.CONSUME2(T.RParen);
    });
    let withinGroup: OrderItem[] | undefined;
    this.OPTION7(() => {
      this.CONSUME(T.Within);
      this.CONSUME(T.Group);
      this.CONSUME3(T.LParen);
      this.CONSUME(T.Order);
      this.CONSUME(T.By);
      withinGroup = this.SUBRULE(this.orderItems);
      this.CONSUME3(T.RParen);
    });
    let over: OverSpec | undefined;
    this.OPTION8(() => {
      over = this.SUBRULE(this.overSpec);
    });
    if (toUnit !== undefined) {
      return {
        kind: 'TimeUnitCall',
        fn: upper === 'CEIL' || upper === 'CEILING' ? 'CEIL' : 'FLOOR',
        expr: args[0] as AstExpr,
        unit: this.ACTION(() => (toUnit as string).toUpperCase()),
        span: this.sp(start),
      };
    }
    const call: FuncCall = {
      kind: 'FuncCall',
      name: upper,
      args,
      star,
      distinct,
      ...(filter ? { filter } : {}),
      ...(withinGroup ? { withinGroup } : {}),
      ...(over ? { over } : {}),
      span: this.sp(start),
    };
    return call;
  });

  private overSpec = this.RULE('overSpec', (): OverSpec => {
    const start = this.CONSUME(T.Over);
    this.CONSUME(T.LParen);
    let partitionBy: AstExpr[] = [];
    this.OPTION(() => {
      this.CONSUME(T.Partition);
      this.CONSUME(T.By);
      partitionBy = this.SUBRULE(this.exprList);
    });
    let orderBy: OrderItem[] = [];
    this.OPTION2(() => {
      this.CONSUME(T.Order);
      this.CONSUME2(T.By);
      orderBy = this.SUBRULE(this.orderItems);
    });
    let frame: OverSpec['frame'];
    this.OPTION3(() => {
      const mode = this.OR([
        alt(() => {
          this.CONSUME(T.Rows);
          return 'ROWS' as const;
        }),
        alt(() => {
          this.CONSUME(T.Range);
          return 'RANGE' as const;
        }),
      ]);
      frame = this.OR2([
        alt(() => {
          this.CONSUME(T.Between);
          const lower = this.SUBRULE(this.frameBound);
          this.CONSUME(T.And);
          const upper = this.SUBRULE2(this.frameBound);
          return { mode, lower, upper };
        }),
        alt(() => ({ mode, lower: this.SUBRULE3(this.frameBound) })),
      ]);
    });
    this.CONSUME(T.RParen);
    return { partitionBy, orderBy, ...(frame ? { frame } : {}), span: this.sp(start) };
  });

  private frameBound = this.RULE('frameBound', (): AstFrameBound => {
    return this.OR([
      alt(() => {
        this.CONSUME(T.Unbounded);
        return this.OR2([
          alt(() => {
            this.CONSUME(T.Preceding);
            return { kind: 'unbounded_preceding' as const };
          }),
          alt(() => {
            this.CONSUME(T.Following);
            return { kind: 'unbounded_following' as const };
          }),
        ]);
      }),
      alt(() => {
        this.CONSUME(T.Current);
        this.CONSUME(T.Row);
        return { kind: 'current' as const };
      }),

      // UNBOUNDED and CURRENT are non-reserved; the alternatives above win (they come first)
      alt(
        () => {
          const amount = this.SUBRULE(this.additive);
          return this.OR3([
            alt(() => {
              this.CONSUME2(T.Preceding);
              return { kind: 'preceding' as const, amount };
            }),
            alt(() => {
              this.CONSUME2(T.Following);
              return { kind: 'following' as const, amount };
            }),
          ]);
        },
        undefined,
        true,
      ),
    ]);
  });

  private exprList = this.RULE('exprList', (): AstExpr[] => {
    const out: AstExpr[] = [];
    this.AT_LEAST_ONE_SEP(sep(T.Comma, () => out.push(this.SUBRULE(this.expr))));
    return out;
  });

  private identList = this.RULE('identList', (): string[] => {
    const out: string[] = [];
    this.AT_LEAST_ONE_SEP(sep(T.Comma, () => out.push(this.SUBRULE(this.identifier))));
    return out;
  });

  /** An identifier: plain (as written), quoted (`…` or "…", unquoted), or a non-reserved keyword. */
  public identifier = this.RULE('identifier', (): string => {
    const t = this.CONSUME(T.Ident);
    return unquoteIdent(t.image);
  });
}

interface ChevrotainInternals {
  getCurrRuleFullName(): string;
  SAVE_ERROR(e: Error): Error;
  maxLookahead: number;
  raiseNoAltException(occurrence: number, errMsgTypes: string): never;
}

function spanOf(a: { span: Span }, b: { span: Span }, _tok: IToken, file?: string): Span {
  if (!a?.span || !b?.span) return NO_SPAN;
  return file === undefined
    ? { start: a.span.start, end: b.span.end }
    : { file, start: a.span.start, end: b.span.end };
}

let instance: SqlParser | undefined;

/** The one parser instance (building it runs chevrotain's grammar analysis, ~50 ms). */
export function sqlParser(): SqlParser {
  instance ??= new SqlParser();
  return instance;
}
