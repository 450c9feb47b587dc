import { IRunSummary } from '../api';

/**
 * Pure list operations behind the run list's paging and live refresh.
 *
 * The list is kept in the server's default order (newest start first);
 * MLflow pages by offset, so rows that arrive between page fetches can
 * show up twice: every operation here keeps run ids unique.
 */

/** Join `filter` and `clause` with MLflow's only conjunction. */
export function andFilter(filter: string, clause: string): string {
  const base = filter.trim();
  return base ? `${base} and ${clause}` : clause;
}

/** An MLflow filter selecting exactly `runIds`. */
export function runIdFilter(runIds: ReadonlyArray<string>): string {
  // Run ids are hex, but quote-escape anyway: the filter is parsed as SQL-ish text.
  const quoted = runIds.map(id => `'${id.replace(/'/g, "\\'")}'`);
  return `attributes.run_id IN (${quoted.join(', ')})`;
}

/** `current` followed by the rows of `page` it does not hold yet. */
export function appendPage(
  current: ReadonlyArray<IRunSummary>,
  page: ReadonlyArray<IRunSummary>
): IRunSummary[] {
  const known = new Set(current.map(run => run.run_id));
  return current.concat(page.filter(run => !known.has(run.run_id)));
}

/**
 * Replace known rows by their fresh copies, in place, and insert unknown
 * ones by start time.
 *
 * An unknown run older than the oldest loaded row is left out while more
 * pages remain: paging will bring it at its place.
 */
export function upsertRuns(
  current: ReadonlyArray<IRunSummary>,
  updates: ReadonlyArray<IRunSummary>,
  hasMore: boolean
): IRunSummary[] {
  const result = current.slice();
  const index = new Map(result.map((run, i) => [run.run_id, i]));
  const oldest = result.length ? result[result.length - 1].start_time : null;
  const newcomers = new Map<string, IRunSummary>();
  for (const run of updates) {
    const at = index.get(run.run_id);
    if (at !== undefined) {
      result[at] = run;
    } else if (!hasMore || oldest === null || run.start_time >= oldest) {
      newcomers.set(run.run_id, run);
    }
  }
  for (const run of newcomers.values()) {
    let at = result.findIndex(row => row.start_time < run.start_time);
    if (at < 0) {
      at = result.length;
    }
    result.splice(at, 0, run);
  }
  return result;
}

/** `current` without the rows whose id is in `runIds`. */
export function removeRuns(
  current: ReadonlyArray<IRunSummary>,
  runIds: ReadonlyArray<string>
): IRunSummary[] {
  const gone = new Set(runIds);
  return current.filter(run => !gone.has(run.run_id));
}
