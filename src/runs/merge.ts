import { IRunSummary } from '../api';

/**
 * Pure list operations behind the run list's paging and live refresh.
 *
 * The list is kept in the server's order (by default newest start first);
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
 * ones where `compare` (the list's order) puts them.
 *
 * An unknown run that sorts after the last loaded row is left out while
 * more pages remain: paging will bring it at its place.
 */
export function upsertRuns(
  current: ReadonlyArray<IRunSummary>,
  updates: ReadonlyArray<IRunSummary>,
  hasMore: boolean,
  compare: (a: IRunSummary, b: IRunSummary) => number = newestFirst
): IRunSummary[] {
  const result = current.slice();
  const index = new Map(result.map((run, i) => [run.run_id, i]));
  const last = result.length ? result[result.length - 1] : null;
  const newcomers = new Map<string, IRunSummary>();
  for (const run of updates) {
    const at = index.get(run.run_id);
    if (at !== undefined) {
      result[at] = run;
    } else if (!hasMore || last === null || compare(run, last) <= 0) {
      newcomers.set(run.run_id, run);
    }
  }
  for (const run of newcomers.values()) {
    let at = result.findIndex(row => compare(row, run) > 0);
    if (at < 0) {
      at = result.length;
    }
    result.splice(at, 0, run);
  }
  return result;
}

/** The server's default order: newest start first. */
function newestFirst(a: IRunSummary, b: IRunSummary): number {
  return b.start_time - a.start_time;
}

/** `current` without the rows whose id is in `runIds`. */
export function removeRuns(
  current: ReadonlyArray<IRunSummary>,
  runIds: ReadonlyArray<string>
): IRunSummary[] {
  const gone = new Set(runIds);
  return current.filter(run => !gone.has(run.run_id));
}
