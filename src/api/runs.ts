import { ServerConnection } from '@jupyterlab/services';

import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

export interface IExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  tags: Record<string, string>;
}

export type RunStatus =
  'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED' | 'SCHEDULED';

export interface IRunSummary {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: RunStatus;
  /** Milliseconds since the epoch. */
  start_time: number;
  end_time: number | null;
  user_id: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface IRunPage {
  runs: IRunSummary[];
  /** Null on the last page. */
  next_page_token: string | null;
}

export interface IRunQuery {
  /** MLflow search syntax, e.g. `metrics.acc > 0.9 and params.lr = '0.1'`. */
  filter?: string;
  /** e.g. `metrics.acc DESC`; the server defaults to `attributes.start_time DESC`. */
  orderBy?: string;
  maxResults?: number;
  pageToken?: string | null;
}

export interface IArtifact {
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

/** One artifact file's content, as `GET runs/<id>/artifacts/content` answers. */
export interface IArtifactContent {
  /** Relative to the run, e.g. `notebook/train.ipynb`. */
  path: string;
  /** `json` for a notebook (parsed), `text` for UTF-8, `base64` otherwise. */
  format: 'json' | 'text' | 'base64';
  content: unknown;
}

export interface ILoggedModel {
  model_id: string;
  name: string;
  model_uri: string;
  has_signature: boolean;
  has_input_example: boolean;
}

export interface IRunDetail {
  run: IRunSummary & { artifact_uri: string; lifecycle_stage: string };
  /** Top-level artifacts; list a directory with `listArtifacts`. */
  artifacts: IArtifact[];
  models: ILoggedModel[];
  notebook: {
    /** Server-root-relative path of the notebook the run came from. */
    path: string | null;
    /** Server-root-relative path of the run's snapshot; null when not openable. */
    snapshot_path: string | null;
  };
}

export interface IMetricPoint {
  step: number;
  value: number;
  timestamp: number;
}

/** A figure ready for the `application/vnd.plotly.v1+json` renderer. */
export interface IPlotlyFigure {
  data: unknown[];
  layout: Record<string, unknown>;
}

export interface IDiffRow<T> {
  key: string;
  /** One value per run id; null where the run lacks the key. */
  values: Record<string, T | null>;
  differs: boolean;
}

export interface IComparison {
  figures: { curves: IPlotlyFigure; parallel: IPlotlyFigure };
  diff: { params: IDiffRow<string>[]; metrics: IDiffRow<number>[] };
  runs: { run_id: string; run_name: string }[];
}

export async function listExperiments(
  settings?: Settings
): Promise<IExperiment[]> {
  const answer = await requestAPI<{ experiments: IExperiment[] }>(
    'experiments',
    {},
    settings
  );
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
  const answer = await requestAPI<{ files: IArtifact[] }>(
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
  const answer = await requestAPI<{ key: string; points: IMetricPoint[] }>(
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
