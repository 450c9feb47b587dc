import { IExecution, IExecutorFeatures, isActiveJob } from '../api';

/**
 * Whether cancelling the execution can work. A queued one always can: the
 * server ends it without the executor. A started one is stopped by the
 * executor, so only where it supports cancel.
 */
export function canCancel(
  execution: Pick<IExecution, 'status'>,
  features: Readonly<IExecutorFeatures>
): boolean {
  if (execution.status === 'queued') {
    return true;
  }
  return features.cancel && isActiveJob(execution.status);
}

/**
 * Whether the log view is worth offering now: a finished execution's log is
 * always there; an unfinished one's only where the executor writes it live.
 */
export function canShowLog(
  execution: Pick<IExecution, 'status'>,
  features: Readonly<IExecutorFeatures>
): boolean {
  return features.live_log || !isActiveJob(execution.status);
}
