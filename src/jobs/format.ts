import { TranslationBundle } from '@jupyterlab/translation';

import { IExecution, JobStatus } from '../api';

/** Seconds as `45s`, `3m 05s` or `2h 07m`. */
export function formatDuration(
  seconds: number | null,
  trans: TranslationBundle
): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '';
  }
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) {
    return trans.__('%1h %2m', h, pad(m));
  }
  if (m > 0) {
    return trans.__('%1m %2s', m, pad(s));
  }
  return trans.__('%1s', s);
}

/**
 * How long the execution ran: to its end, or until now while it runs.
 * Null before it started.
 */
export function executionSeconds(
  execution: IExecution,
  now: number = Date.now() / 1000
): number | null {
  if (execution.started_at === null) {
    return null;
  }
  return (execution.finished_at ?? now) - execution.started_at;
}

export function jobStatusLabel(
  execution: Pick<IExecution, 'status' | 'cancel_requested'>,
  trans: TranslationBundle
): string {
  const status: JobStatus = execution.status;
  switch (status) {
    case 'queued':
      return execution.cancel_requested
        ? trans.__('Cancelling')
        : trans.__('Queued');
    case 'starting':
      return execution.cancel_requested
        ? trans.__('Cancelling')
        : trans.__('Starting');
    case 'running':
      return execution.cancel_requested
        ? trans.__('Cancelling')
        : trans.__('Running');
    case 'succeeded':
      return trans.__('Succeeded');
    case 'failed':
      return trans.__('Failed');
    case 'cancelled':
      return trans.__('Cancelled');
    default:
      return status;
  }
}

/** The last segment of a `/`-separated path. */
export function baseName(path: string): string {
  return path.split('/').pop() ?? path;
}
