import { ServerConnection } from '@jupyterlab/services';

import {
  IArtifact,
  IArtifactContent,
  IArtifacts,
  IComparison,
  IExperiment,
  IExperiments,
  IMetricHistory,
  IMetricPoint,
  IParamDiffRow,
  IRunDetail,
  IRunPage
} from './generated/schemas';
import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

// Generated from the server's response schemas (jupyter_mlops/schemas/responses).
export type {
  IArtifact,
  IArtifactContent,
  IComparison,
  IExperiment,
  ILoggedModel,
  IMetricPoint,
  IPlotlyFigure,
  IRunDetail,
  IRunPage,
  IRunSummary,
  RunStatus
} from './generated/schemas';

/** A row of a comparison's diff: params (strings) or metrics (numbers). */
export type IDiffRow<T extends string | number> = Omit<
  IParamDiffRow,
  'values'
> & {
  /** One value per run id; null where the run lacks the key. */
  values: { [runId: string]: T | null };
};

export interface IRunQuery {
  /** MLflow search syntax, e.g. `metrics.acc > 0.9 and params.lr = '0.1'`. */
  filter?: string;
  /** e.g. `metrics.acc DESC`; the server defaults to `attributes.start_time DESC`. */
  orderBy?: string;
  maxResults?: number;
  pageToken?: string | null;
}

export async function listExperiments(
  settings?: Settings
): Promise<IExperiment[]> {
  const answer = await requestAPI<IExperiments>('experiments', {}, settings);
  return answer.experiments;
}

/**
 * One page of an experiment's runs. A bad filter rejects with an
 * `MLOpsApiError` whose `field` is `'filter'`.
 */
export function searchRuns(
  experimentId: string,
  query: IRunQuery = {},
  settings?: Settings
): Promise<IRunPage> {
  const path = apiPath(['experiments', experimentId, 'runs'], {
    filter: query.filter,
    order_by: query.orderBy,
    max_results: query.maxResults,
    page_token: query.pageToken
  });
  return requestAPI<IRunPage>(path, {}, settings);
}

export function getRun(
  runId: string,
  settings?: Settings
): Promise<IRunDetail> {
  return requestAPI<IRunDetail>(apiPath(['runs', runId]), {}, settings);
}

export async function listArtifacts(
  runId: string,
  path: string,
  settings?: Settings
): Promise<IArtifact[]> {
  const answer = await requestAPI<IArtifacts>(
    apiPath(['runs', runId, 'artifacts'], { path }),
    {},
    settings
  );
  return answer.files;
}

/**
 * One artifact file's content. Rejects with status 400 for a folder, a
 * path outside the run or a file over 20 MB, and 404 for an unknown run.
 */
export function getArtifactContent(
  runId: string,
  path: string,
  settings?: Settings
): Promise<IArtifactContent> {
  return requestAPI<IArtifactContent>(
    apiPath(['runs', runId, 'artifacts', 'content'], { path }),
    {},
    settings
  );
}

export async function getMetricHistory(
  runId: string,
  key: string,
  settings?: Settings
): Promise<IMetricPoint[]> {
  const answer = await requestAPI<IMetricHistory>(
    apiPath(['runs', runId, 'metrics', key, 'history']),
    {},
    settings
  );
  return answer.points;
}

/**
 * Figures and a params/metrics diff for 2 to 20 runs.
 */
export function compareRuns(
  runIds: ReadonlyArray<string>,
  settings?: Settings
): Promise<IComparison> {
  return requestAPI<IComparison>(
    'runs/compare',
    jsonRequest('POST', { run_ids: runIds }),
    settings
  );
}
