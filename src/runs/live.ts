import { ServerConnection } from '@jupyterlab/services';

import { IRunSummary, searchRuns } from '../api';
import { andFilter, runIdFilter } from './merge';

export const PAGE_SIZE = 100;
/** Cap on RUNNING runs fetched per refresh (pages of PAGE_SIZE). */
const MAX_LIVE_PAGES = 10;
const RUNNING = "attributes.status = 'RUNNING'";

export interface ILiveChanges {
  /** Fresh copies of rows to replace, and new runs to insert. */
  updates: IRunSummary[];
  /** Loaded rows that no longer exist. */
  deleted: string[];
}

/**
 * What changed in a listed experiment since `loaded` was fetched, in at
 * most three small queries instead of refetching the list:
 *
 * - the runs RUNNING now (their metrics move);
 * - the loaded rows that were RUNNING and are not any more (by id);
 * - the runs started after the newest loaded row (new runs).
 *
 * `loaded` may be in any order (the table sorts by any column).
 */
export async function fetchLiveChanges(
  experimentId: string,
  filter: string,
  loaded: ReadonlyArray<IRunSummary>,
  serverSettings: ServerConnection.ISettings
): Promise<ILiveChanges> {
  const search = (query: string, pageToken: string | null = null) =>
    searchRuns(
      experimentId,
      { filter: query, maxResults: PAGE_SIZE, pageToken },
      serverSettings
    );

  let running: IRunSummary[] = [];
  let token: string | null = null;
  for (let page = 0; page < MAX_LIVE_PAGES; page++) {
    const answer = await search(andFilter(filter, RUNNING), token);
    running = running.concat(answer.runs);
    token = answer.next_page_token || null;
    if (token === null) {
      break;
    }
  }

  let newest: number | null = null;
  for (const run of loaded) {
    newest =
      newest === null ? run.start_time : Math.max(newest, run.start_time);
  }
  const fresh = (
    await search(
      newest === null
        ? filter
        : andFilter(filter, `attributes.start_time > ${newest}`)
    )
  ).runs;

  const stillRunning = new Set(running.map(run => run.run_id));
  const stopped = loaded
    .filter(run => run.status === 'RUNNING' && !stillRunning.has(run.run_id))
    .map(run => run.run_id);
  let changed: IRunSummary[] = [];
  for (let at = 0; at < stopped.length; at += PAGE_SIZE) {
    // By id and without the user's filter: a run that stopped is shown
    // with its final status even if it no longer matches.
    const ids = stopped.slice(at, at + PAGE_SIZE);
    changed = changed.concat((await search(runIdFilter(ids))).runs);
  }
  const found = new Set(changed.map(run => run.run_id));
  return {
    updates: [...running, ...fresh, ...changed],
    deleted: stopped.filter(id => !found.has(id))
  };
}
