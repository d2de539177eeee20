import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

/**
 * A fresh directory removed when the test ends. Logic tests use tmpfs (/dev/shm) when there is one: fsync
 * costs ~4 ms on this machine's disk and is not what they test; `onDisk` forces the real disk.
 */
export function tempDir(t: ExecutionContext, onDisk = false): string {
  const base = !onDisk && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'darq-core-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
