import { IExecution, IJobDefinition, isActiveJob } from '../api';

/**
 * Pure list operations behind the Jobs section's live refresh. The list
 * is kept newest first (by `queued_at`, as the server orders it) and ids
 * stay unique.
 */

/**
 * Replace known executions by their fresh copies, in place, and insert
 * unknown ones at their place by `queued_at`.
 */
export function upsertExecutions(
  current: ReadonlyArray<IExecution>,
  updates: ReadonlyArray<IExecution>
): IExecution[] {
  const result = current.slice();
  const index = new Map(result.map((execution, i) => [execution.id, i]));
  const newcomers = new Map<string, IExecution>();
  for (const execution of updates) {
    const at = index.get(execution.id);
    if (at !== undefined) {
      result[at] = execution;
    } else {
      newcomers.set(execution.id, execution);
    }
  }
  for (const execution of newcomers.values()) {
    let at = result.findIndex(row => row.queued_at < execution.queued_at);
    if (at < 0) {
      at = result.length;
    }
    result.splice(at, 0, execution);
  }
  return result;
}

/** `current` without the executions whose id is in `ids`. */
export function removeExecutions(
  current: ReadonlyArray<IExecution>,
  ids: ReadonlyArray<string>
): IExecution[] {
  const gone = new Set(ids);
  return current.filter(execution => !gone.has(execution.id));
}

/**
 * The ids of loaded executions that were queued or running and are not in
 * the server's latest list of queued and running ones: their status just
 * changed, so they are the only finished ones worth fetching again.
 */
export function leftActive(
  loaded: ReadonlyArray<IExecution>,
  active: ReadonlyArray<IExecution>
): string[] {
  const stillActive = new Set(active.map(execution => execution.id));
  return loaded
    .filter(
      execution =>
        isActiveJob(execution.status) && !stillActive.has(execution.id)
    )
    .map(execution => execution.id);
}

/** `current` with `definition` replacing the one of the same id, or first. */
export function upsertDefinition(
  current: ReadonlyArray<IJobDefinition>,
  definition: IJobDefinition
): IJobDefinition[] {
  const at = current.findIndex(row => row.id === definition.id);
  if (at < 0) {
    return [definition, ...current];
  }
  const result = current.slice();
  result[at] = definition;
  return result;
}
