// Runs the counter service and a client feeding it `n` requests, resuming wherever a previous run
// stopped (killed or not). Usage: node --import tsx examples/counter/main.ts <worker-file> <n>
// Prints "progress <processed>" now and then and "done <processed>" at the end.
import { writeSync } from 'node:fs';
import { ColocatedProcessorClient, Worker } from '../../src/index.ts';
import { AuditProcessor, CounterProcessor, codec, request } from './counter.ts';

const [path, nArg] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: main.ts <worker-file> <n>');
const n = Number(nArg ?? 1000);

const worker = Worker.open({ path, workerId: 'counter-svc' });
const counter = worker.participant('counter');
const audit = worker.participant('audit');
new ColocatedProcessorClient(counter, new CounterProcessor(counter)).start();
new ColocatedProcessorClient(audit, new AuditProcessor(audit)).start();

// Version barrier: everything done in the last 5 ms becomes durable in one commit.
const barrier = setInterval(() => worker.commit(), 5);

// The client: request i is enqueued with (producer 'client-1', seq i); after a crash it simply resumes
// from the last sequence number the service accepted, and anything resent is deduplicated.
let next = counter.lastSeq('client-1') + 1;
function feed(): void {
  for (let k = 0; k < 20 && next < n; k++, next++)
    counter.enqueue('client-1', next, [codec.pack(request(next))]);
  const filed = (audit.get('stats', 'filed') as number | undefined) ?? 0;
  writeSync(1, `progress ${filed}\n`);
  if (filed === n) {
    clearInterval(barrier);
    worker.close();
    writeSync(1, `done ${filed}\n`);
    return;
  }
  setImmediate(feed);
}
feed();
