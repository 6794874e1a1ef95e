// Composition: apply a fixer, re-check from the failing step, keep it when it made progress
// (see progress.ts) and go on with the next failure; revert it when it did not. Bounded in rounds
// and in fixer applications; stops when a round helps nothing or a failure comes back.
import { AppError } from '../../errors.js';
import type { FixerName, TaskPhase } from '../../task.js';
import { cleanLines, missingCommand } from '../diagnosis/index.js';
import { applicableFixers } from '../fixers/index.js';
import type { Failure, Fixer, FixerOutcome } from '../types.js';
import { judge, signature } from './progress.js';
import type { Recheck } from './runs.js';

export const MAX_ROUNDS = 6;
export const MAX_APPLICATIONS = 12;

export interface ComposeDeps {
  /** The task's fixers list (selection and order), when it has one. */
  allowed?: readonly FixerName[];
  registry?: readonly Fixer[];
  apply(fixer: Fixer, failure: Failure): Promise<FixerOutcome>;
  /** Anything changed since the last kept state. */
  changed(): Promise<boolean>;
  keep(): Promise<void>;
  revert(): Promise<void>;
  /** Re-runs from the failure's step on. */
  recheck(failure: Failure): Promise<Recheck>;
  /** Runs the whole original command. */
  verify(): Promise<Failure | null>;
  setPhase(phase: TaskPhase): Promise<void>;
  log(text: string): void;
}

export interface ComposeResult {
  /** Fixers whose changes were kept, in order. */
  kept: FixerName[];
  /** The whole original command passed on the final tree (proven by a whole run). */
  passed: boolean;
  /** The failure left when not passed. */
  failure: Failure | null;
  /** Why not passed, in a sentence. */
  reason: string | null;
  /** A fixer ran but changed nothing (a sign of a flaky failure). */
  unchanged: boolean;
}

interface Round {
  toolMissing: string[];
  tried: FixerName[];
}

export async function composeFixers(initial: Failure, deps: ComposeDeps): Promise<ComposeResult> {
  const kept: FixerName[] = [];
  const seen = new Set([signature(initial)]);
  const tried = new Set<string>();
  let current = initial;
  let applications = 0;
  let unchanged = false;
  const stop = (reason: string): ComposeResult => ({ kept, passed: false, failure: current, reason, unchanged });

  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const key = signature(current);
    const candidates = applicableFixers(current, deps.allowed, deps.registry).filter(
      (f) => !tried.has(`${key}|${f.name}`),
    );
    if (candidates.length === 0) {
      if (round === 1) deps.log('no fixer recognises this failure');
      return stop(noFixerReason(kept, current, deps.allowed));
    }
    deps.log(`round ${round}: ${current.diagnosis.summary}`);
    deps.log(`fixers to try: ${candidates.map((f) => f.name).join(', ')}`);
    const outcome: Round = { toolMissing: [], tried: [] };
    let next: Failure | null | undefined;
    for (const fixer of candidates) {
      if (applications >= MAX_APPLICATIONS) return stop(`stopped after ${MAX_APPLICATIONS} fixer runs`);
      tried.add(`${key}|${fixer.name}`);
      applications++;
      next = await tryFixer(fixer, current, deps, outcome, () => {
        unchanged = true;
      });
      if (next !== undefined) {
        kept.push(fixer.name);
        break;
      }
    }
    if (next === undefined) return stop(roundReason(outcome, kept));
    if (next === null) return { kept, passed: true, failure: null, reason: null, unchanged };
    const again = signature(next);
    if (seen.has(again)) {
      current = next;
      return stop(`the failure stays the same after ${kept.join(', ')}: ${next.diagnosis.summary}`);
    }
    seen.add(again);
    current = next;
  }
  return stop(`stopped after ${MAX_ROUNDS} fix rounds: ${current.diagnosis.summary}`);
}

/**
 * One fixer on top of the kept state. Returns the next failure (null: the whole command passed)
 * when its change is kept, undefined when it did not apply, changed nothing or was reverted.
 */
async function tryFixer(
  fixer: Fixer,
  current: Failure,
  deps: ComposeDeps,
  round: Round,
  noted: () => void,
): Promise<Failure | null | undefined> {
  await deps.setPhase('fixing');
  deps.log(`applying fixer ${fixer.name}`);
  let applied: FixerOutcome;
  try {
    applied = await deps.apply(fixer, current);
  } catch (error) {
    // Cancellation, the task's timeout and sandbox failures keep their meaning; a fixer's own bug
    // costs only that fixer, and whatever it half-changed is undone.
    if (error instanceof AppError) throw error;
    deps.log(`fixer ${fixer.name} failed (${error instanceof Error ? error.name : 'error'}): reverted`);
    await deps.revert();
    return undefined;
  }
  if (applied.status !== 'applied') {
    deps.log(applied.message);
    if (applied.status === 'tool_missing') round.toolMissing.push(applied.message);
    return undefined;
  }
  round.tried.push(fixer.name);
  if (!(await deps.changed())) {
    deps.log(`fixer ${fixer.name} changed nothing`);
    noted();
    return undefined;
  }
  await deps.setPhase('verifying');
  let recheck = await deps.recheck(current);
  if (recheck.failure === null && !recheck.whole) {
    // The checked steps pass: the proof is the whole command.
    recheck = { failure: await deps.verify(), whole: true };
  }
  const verdict = judge(current, recheck.failure);
  if (!verdict.progress) {
    deps.log(`fixer ${fixer.name} made it no better (${verdict.kind}): reverted`);
    await deps.revert();
    return undefined;
  }
  deps.log(`fixer ${fixer.name} kept (${verdict.kind})`);
  await deps.keep();
  return recheck.failure;
}

function noFixerReason(kept: readonly FixerName[], current: Failure, allowed?: readonly FixerName[]): string {
  const limited = allowed ? ` the task allows (${allowed.join(', ')})` : '';
  const after = kept.length > 0 ? ` after ${kept.join(', ')}` : '';
  // No fixer can install a tool: the user needs to know which one, and where to add it.
  const missing = current.diagnosis.category === 'environment' ? missingCommand(cleanLines(current.output)) : null;
  if (missing !== null)
    return `tool missing${after}: ${missing.name} not found: add it to setup in .ci-fixer.yml (${missing.line})`;
  if (kept.length === 0) return `no fixer${limited} recognises this failure: ${current.diagnosis.summary}`;
  return `after ${kept.join(', ')} the command still fails and no fixer${limited} recognises it: ${current.diagnosis.summary}`;
}

function roundReason(round: Round, kept: readonly FixerName[]): string {
  const after = kept.length > 0 ? ` after ${kept.join(', ')}` : '';
  if (round.tried.length === 0 && round.toolMissing.length > 0) return `tool missing: ${round.toolMissing.join('; ')}`;
  const missing = round.toolMissing.length > 0 ? `; tool missing: ${round.toolMissing.join('; ')}` : '';
  return `fixers did not help${after}: ${round.tried.join(', ') || 'none applied'}${missing}`;
}
