// A counter service written as CReSt processors: no SQL, exactly-once effects across crashes.
//
// 'counter' consumes increment requests, adds them to a durable count per key and sends a receipt to
// 'audit'; 'audit' files each receipt under its request id. Each step does all of that atomically, and
// requests enter through a deduplicating enqueue, so a crash at any point neither loses nor repeats an
// increment or a receipt.
import { Packr } from 'msgpackr';
import {
  type Darq,
  type DarqMessage,
  type DarqProcessor,
  type ProcessorCapabilities,
  StepBuilder,
} from '../../src/index.ts';

export interface Increment {
  readonly reqId: number;
  readonly key: string;
  readonly amount: number;
}

export interface Receipt {
  readonly reqId: number;
  readonly key: string;
  readonly total: number;
}

export const codec = new Packr({ useRecords: false });

/** Applies increments to the durable table 'counts' and sends one receipt per increment to 'audit'. */
export class CounterProcessor implements DarqProcessor {
  private caps: ProcessorCapabilities | undefined;

  constructor(private readonly darq: Darq) {}

  onRestart(caps: ProcessorCapabilities): void {
    this.caps = caps; // no soft state to rebuild: the counts live in the participant's table
  }

  process(message: DarqMessage): boolean {
    const inc = codec.unpack(message.body) as Increment;
    const total = ((this.darq.get('counts', inc.key) as number | undefined) ?? 0) + inc.amount;
    const receipt: Receipt = { reqId: inc.reqId, key: inc.key, total };
    this.caps?.step(
      new StepBuilder()
        .consume(message.lsn)
        .put('counts', inc.key, total)
        .send('audit', codec.pack(receipt))
        .build(),
    );
    return true;
  }
}

/** Files every receipt under its request id in the durable table 'receipts' and counts them. */
export class AuditProcessor implements DarqProcessor {
  private caps: ProcessorCapabilities | undefined;

  constructor(private readonly darq: Darq) {}

  onRestart(caps: ProcessorCapabilities): void {
    this.caps = caps;
  }

  process(message: DarqMessage): boolean {
    const r = codec.unpack(message.body) as Receipt;
    const filed = ((this.darq.get('stats', 'filed') as number | undefined) ?? 0) + 1;
    this.caps?.step(
      new StepBuilder()
        .consume(message.lsn)
        .put('receipts', String(r.reqId).padStart(10, '0'), r)
        .put('stats', 'filed', filed)
        .build(),
    );
    return true;
  }
}

/** The increment a client sends as request `i` (deterministic, so a test can recompute the totals). */
export function request(i: number): Increment {
  return { reqId: i, key: `k${(i * 7) % 5}`, amount: 1 + (i % 3) };
}
