/**
 * Delivery latency on one worker: from `enqueue` returning to the co-located processor's `process` call
 * (one-record entries, one at a time, the worker committing every 5 ms as the engine's barrier would).
 * Baseline in the same run: the same hop through a bare `queueMicrotask` (the scheduling floor).
 *
 *   node --import tsx bench/darq-core/delivery-latency.ts [messages]   → bench/results/darq-core-delivery.json
 */
import { join } from 'node:path';
import {
  ColocatedProcessorClient,
  type DarqMessage,
  type DarqProcessor,
  type ProcessorCapabilities,
  StepBuilder,
  Worker,
} from '@darq/darq-core';
import { machine, percentiles, scratch, writeResult } from './common.ts';

const MESSAGES = Number(process.argv[2] ?? 20_000);
const body = new Uint8Array(64).fill(1);

async function darq(dir: string) {
  const w = Worker.open({ path: join(dir, 'delivery.sqlite'), persistence: 'process' });
  const q = w.participant('svc');
  const samples: number[] = [];
  let sentAt = 0;
  let resolveOne: () => void = () => {};
  const processor: DarqProcessor = {
    caps: undefined as ProcessorCapabilities | undefined,
    onRestart(caps: ProcessorCapabilities) {
      (this as { caps?: ProcessorCapabilities }).caps = caps;
    },
    process(m: DarqMessage) {
      samples.push(performance.now() - sentAt);
      (this as { caps?: ProcessorCapabilities }).caps?.step(new StepBuilder().consume(m.lsn).build());
      resolveOne();
      return true;
    },
  } as DarqProcessor & { caps?: ProcessorCapabilities };
  const client = new ColocatedProcessorClient(q, processor);
  client.start();
  const timer = setInterval(() => w.commit(), 5);
  for (let i = 0; i < MESSAGES; i++) {
    const done = new Promise<void>((r) => {
      resolveOne = r;
    });
    sentAt = performance.now();
    q.enqueue('client', i, [body]);
    await done;
    if (i % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  clearInterval(timer);
  client.stop();
  w.close();
  return percentiles(samples.slice(100));
}

async function microtaskFloor() {
  const samples: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const t0 = performance.now();
    await new Promise<void>((r) =>
      queueMicrotask(() => {
        samples.push(performance.now() - t0);
        r();
      }),
    );
  }
  return percentiles(samples.slice(100));
}

const dir = scratch('delivery');
const result = {
  benchmark: 'darq-core delivery latency enqueue -> colocated processor on the same worker',
  ...machine(),
  messages: MESSAGES,
  darqEnqueueToProcess: await darq(dir),
  baselineMicrotaskHop: await microtaskFloor(),
  goalP99Ms: 0.1,
};
console.log(JSON.stringify(result, null, 2));
writeResult('delivery', result);
