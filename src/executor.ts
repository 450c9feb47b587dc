import { TranslationBundle } from '@jupyterlab/translation';

import { IExecutor, IExecutorFeatures } from './api';

/**
 * What is offered before the server has said what its executor can do:
 * everything, as before executors declared features. The server still
 * refuses what its executor cannot do (a job asking for GPUs).
 */
export const EVERY_FEATURE: Readonly<IExecutorFeatures> = Object.freeze({
  gpus: true,
  cancel: true,
  live_log: true,
  environments: true
});

export function sameFeatures(
  a: Readonly<IExecutorFeatures>,
  b: Readonly<IExecutorFeatures>
): boolean {
  return (
    a.gpus === b.gpus &&
    a.cancel === b.cancel &&
    a.live_log === b.live_log &&
    a.environments === b.environments
  );
}

/** `local — GPUs, cancel, live log`: the executor and what it supports. */
export function executorText(
  executor: IExecutor,
  trans: TranslationBundle
): string {
  const { features } = executor;
  const supported = [
    features.gpus && trans.__('GPUs'),
    features.cancel && trans.__('cancel'),
    features.live_log && trans.__('live log'),
    features.environments && trans.__('per-job pip requirements')
  ].filter((label): label is string => !!label);
  return supported.length
    ? trans.__('%1 — %2', executor.name, supported.join(', '))
    : trans.__('%1 — no GPUs, cancel or live log', executor.name);
}
