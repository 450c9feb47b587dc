import { ServerConnection } from '@jupyterlab/services';

import { ISearchView, ISearchViews } from './generated/schemas';
import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

// Generated from the server's schemas (jupyter_mlops/schemas).
export type { ISearchView, ISearchTrial } from './generated/schemas';

/** Hyperparameter searches, newest first (a search is submitted as a job with `search`). */
export async function listSearches(
  settings?: Settings
): Promise<ISearchView[]> {
  const answer = await requestAPI<ISearchViews>('searches', {}, settings);
  return answer.searches;
}

/** One search with its trials; with `figures`, Optuna's Plotly figures too. */
export function getSearch(
  id: string,
  figures: boolean,
  settings?: Settings
): Promise<ISearchView> {
  const query = figures ? '?figures=1' : '';
  return requestAPI<ISearchView>(
    `${apiPath(['searches', id])}${query}`,
    {},
    settings
  );
}

/** No new trial; the running ones are cancelled. */
export function cancelSearch(
  id: string,
  settings?: Settings
): Promise<ISearchView> {
  return requestAPI<ISearchView>(
    apiPath(['searches', id, 'cancel']),
    jsonRequest('POST', {}),
    settings
  );
}
