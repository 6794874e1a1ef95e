// bench:fleet's figures rest on two pure readings: which task's Job a request to the API server
// concerns (by the Job's path, its pods' paths, or an events query), and whether two attempts of
// one task ran commands at the same time (exec connections on two pods overlapping).
import { describe, expect, it } from 'vitest';
import { jobOf, namedObject } from '../../scripts/bench/fleet/api-proxy.js';
import { overlapsAcrossPods } from '../../scripts/bench/fleet/figures.js';
import { jobNameForTask } from '../../src/sandbox/kubernetes/labels.js';

const id = '6f1c2b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';
const job = jobNameForTask(id);
const pod = `${job}-x7k2q`;
const q = (s = '') => new URLSearchParams(s);

describe('bench:fleet request attribution', () => {
  it('finds the object a path or an events selector names', () => {
    expect(namedObject(`/apis/batch/v1/namespaces/ns/jobs/${job}`, q())).toBe(job);
    expect(namedObject(`/api/v1/namespaces/ns/pods/${pod}/exec`, q('command=sh'))).toBe(pod);
    expect(
      namedObject(
        '/api/v1/namespaces/ns/events',
        q(`fieldSelector=involvedObject.kind=Job,involvedObject.name=${job}`),
      ),
    ).toBe(job);
    expect(
      namedObject('/api/v1/namespaces/ns/pods', q('labelSelector=app=ci-fixer-sandbox&watch=true')),
    ).toBeUndefined();
  });

  it('maps a Job or one of its pods to the Job, tracked or not; anything else is shared', () => {
    expect(jobOf(job, new Set([job]))).toBe(job);
    expect(jobOf(pod, new Set([job]))).toBe(job);
    // Not tracked yet (a worker took the task before the submit answer arrived): known by its shape.
    expect(jobOf(pod, new Set())).toBe(job);
    expect(jobOf('kwok-node-0', new Set())).toBeUndefined();
    expect(jobOf(undefined, new Set())).toBeUndefined();
  });

  it('counts overlapping execs on two pods as a task run twice, and sequential attempts as not', () => {
    expect(
      overlapsAcrossPods([
        { pod: 'a', start: 0, end: 10 },
        { pod: 'b', start: 5, end: 20 },
      ]),
    ).toBe(true);
    expect(
      overlapsAcrossPods([
        { pod: 'a', start: 0, end: 10 },
        { pod: 'b', start: 10, end: 20 },
      ]),
    ).toBe(false);
    // Commands of one attempt overlap each other (a kill exec beside its command): not a second run.
    expect(
      overlapsAcrossPods([
        { pod: 'a', start: 0, end: 10 },
        { pod: 'a', start: 2, end: 3 },
      ]),
    ).toBe(false);
    // A connection still open counts until now.
    expect(
      overlapsAcrossPods(
        [
          { pod: 'a', start: 0, end: undefined },
          { pod: 'b', start: 50, end: 60 },
        ],
        100,
      ),
    ).toBe(true);
  });
});
