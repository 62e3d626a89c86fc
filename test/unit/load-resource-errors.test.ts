import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, isResourceError, PERSIST_SECONDS, ResourceErrorWatch, resourceBackoffMs } from '../../src/load/run/resource-errors.js';

describe("the generator's own resource errors", () => {
  it("are EMFILE/ENFILE, EADDRNOTAVAIL and ENOBUFS kinds, not the target's errors", () => {
    expect(['too_many_open_files', 'local_ports_exhausted', 'no_buffer_space'].every((k) => isResourceError(k as never))).toBe(true);
    expect(['timeout', 'connection_refused', 'connection_reset', 'expect_failed', 'other'].some((k) => isResourceError(k as never))).toBe(false);
    expect(isResourceError(undefined)).toBe(false);
  });

  it('back off from 50 ms doubling to 1 s, each wait jittered to ½–1× of its step', () => {
    let previous = 0;
    const steps: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { waitMs, nextMs } = resourceBackoffMs(previous, () => 0.5);
      expect(waitMs).toBe(nextMs * 0.75);
      steps.push(nextMs);
      previous = nextMs;
    }
    expect(steps).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000]);
    expect(resourceBackoffMs(0, () => 0).waitMs).toBe(BACKOFF_MIN_MS / 2);
    expect(resourceBackoffMs(BACKOFF_MAX_MS, () => 0.999999).waitMs).toBeLessThanOrEqual(BACKOFF_MAX_MS);
  });

  it('stop the run once they were seen in 3 seconds in a row, naming counts by kind and the fix', () => {
    const watch = new ResourceErrorWatch();
    expect(watch.add({ too_many_open_files: 5 })).toBeUndefined();
    expect(watch.add({ too_many_open_files: 5, timeout: 3 })).toBeUndefined();
    // A clean second resets the streak.
    expect(watch.add({ timeout: 9 })).toBeUndefined();
    for (let i = 1; i < PERSIST_SECONDS; i++) expect(watch.add({ local_ports_exhausted: 2 })).toBeUndefined();
    const reason = watch.add({ too_many_open_files: 1, local_ports_exhausted: 2 });
    expect(reason).toContain('for 3 s in a row (11 too many open files, 6 local ports exhausted)');
    expect(reason).toContain('`ulimit -n`');
    expect(reason).toContain('ip_local_port_range');
  });
});
