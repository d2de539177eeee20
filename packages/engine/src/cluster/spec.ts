import * as fs from 'node:fs';
import { StateError } from '../errors.ts';
import type { JobGraph } from '../physical/graph.ts';
import { participantIds } from '../physical/graph.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the processes of a multi-worker run listen, and the secret they share. `darq run --workers N`
 * writes one into the state dir (loopback, free ports, a random secret); `--cluster FILE` reads one a user
 * wrote to place workers on several hosts.
 */
export interface ClusterSpec {
  /** Shared secret (≥ 16 bytes): workers and the finder refuse peers that cannot prove they know it. */
  readonly secret: string;
  readonly finder: Endpoint;
  readonly workers: ReadonlyArray<Endpoint & { readonly id: string }>;
}

/** Reads and checks a cluster file; errors name the file and the field. */
export function readClusterSpec(file: string): ClusterSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StateError('CLUSTER_FILE', `cannot read cluster file ${file}: ${(e as Error).message}`);
  }
  const bad = (what: string) =>
    new StateError(
      'CLUSTER_FILE',
      `cluster file ${file}: ${what}. Expected {"secret": "<32+ hex chars>", "finder": {"host", "port"}, "workers": [{"id", "host", "port"}, …]} (see docs/cluster.md)`,
    );
  const spec = raw as Partial<ClusterSpec>;
  if (typeof spec.secret !== 'string' || Buffer.byteLength(spec.secret) < 16)
    throw bad('"secret" must be a string of at least 16 bytes');
  const endpoint = (e: unknown, where: string) => {
    const x = e as Partial<Endpoint> | undefined;
    if (!x || typeof x.host !== 'string' || !Number.isInteger(x.port) || (x.port as number) <= 0)
      throw bad(`${where} needs "host" (string) and "port" (positive integer)`);
  };
  endpoint(spec.finder, '"finder"');
  if (!Array.isArray(spec.workers) || spec.workers.length === 0)
    throw bad('"workers" must be a non-empty list');
  const ids = new Set<string>();
  spec.workers.forEach((w, i) => {
    endpoint(w, `workers[${i}]`);
    if (typeof w.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(w.id))
      throw bad(`workers[${i}].id must be 1-64 letters, digits, '-' or '_'`);
    if (ids.has(w.id)) throw bad(`worker id '${w.id}' appears twice`);
    ids.add(w.id);
  });
  return spec as ClusterSpec;
}

/**
 * Which worker runs each participant: round-robin over the participants in stage order, so consecutive
 * stages land on different workers and every edge between them crosses a process boundary. Deterministic:
 * every process of the cluster computes the same placement from the same plan.
 */
export function placeParticipants(graph: JobGraph, workerIds: readonly string[]): Map<string, string> {
  const placement = new Map<string, string>();
  let i = 0;
  for (const s of graph.stages) {
    for (const p of participantIds(s)) placement.set(p, workerIds[i++ % workerIds.length] as string);
  }
  return placement;
}
