// Small display helpers shared by the console pages.
import type { TaskState } from '../../task.js';

export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Start to finish, or start to now while running; '–' before it started. */
export function taskDuration(task: { startedAt: string | null; finishedAt: string | null }, now = Date.now()): string {
  if (task.startedAt === null) return '–';
  const end = task.finishedAt === null ? now : Date.parse(task.finishedAt);
  return formatDuration(end - Date.parse(task.startedAt));
}

export function formatAge(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function outcomeLabel(outcome: string | null): string {
  return outcome === null ? '–' : outcome.replace(/_/g, ' ');
}

export function stateClass(state: TaskState): string {
  return `badge state-${state}`;
}

/** A repository URL shown without its scheme noise; file:// paths keep their last two parts. */
export function repoLabel(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'file:') return `…/${parsed.pathname.split('/').filter(Boolean).slice(-2).join('/')}`;
    return `${parsed.host}${parsed.pathname.replace(/\.git$/, '')}`;
  } catch {
    return url;
  }
}
