import { IGpu, IJobParameter, MLOpsApiError } from '../../api';
import { errorMessage } from '../../format';

/** A server error, placed at the form field it names (or at the top). */
export interface IFieldError {
  field: string | null;
  message: string;
}

/** A failed submission as a field error, keeping the field the server named. */
export function toFieldError(reason: unknown): IFieldError {
  return {
    field: reason instanceof MLOpsApiError ? (reason.field ?? null) : null,
    message: errorMessage(reason)
  };
}

/**
 * The error to show at the top of the form: one that names no field, or
 * a field the form does not show (it would be seen nowhere otherwise).
 */
export function unplacedError(
  error: IFieldError | null,
  parameters: ReadonlyArray<IJobParameter>,
  gpus: ReadonlyArray<IGpu>
): IFieldError | null {
  if (error === null) {
    return null;
  }
  const shown = new Set<string>([
    'notebook',
    'name',
    'kernel',
    'experiment',
    'schedule.cron',
    'schedule.timezone',
    'schedule.catchup',
    'timeout',
    'cell_timeout',
    'retry.max_attempts',
    'retry.backoff_seconds',
    ...parameters.map(p => `parameters.${p.name}`),
    ...(gpus.length ? ['resources.gpus', 'resources.gpu_type'] : [])
  ]);
  // The Search fieldset shows its own: its settings and each parameter's space.
  const searched =
    error.field !== null &&
    (error.field.startsWith('search.space.') ||
      /^search\.(metric|direction|sampler|pruner|trials|parallel)$/.test(
        error.field
      ));
  return error.field === null || !(shown.has(error.field) || searched)
    ? error
    : null;
}
