import { ServerConnection } from '@jupyterlab/services';

import { apiPath, jsonRequest, MLOpsApiError, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

export type DeploymentStatus =
  'pending' | 'starting' | 'ready' | 'failed' | 'stopping' | 'stopped';

/** How a new version takes over from the one serving. */
export type DeploymentStrategyType =
  'replace' | 'canary' | 'shadow' | 'blue_green';

export const DEPLOYMENT_STRATEGIES: ReadonlyArray<DeploymentStrategyType> = [
  'replace',
  'canary',
  'shadow',
  'blue_green'
];

export interface IDeploymentStrategy {
  type: DeploymentStrategyType;
  /** Canary only: the share of requests (0-100, exclusive) sent to the new version. */
  percent?: number;
}

/** What `POST deployments` takes. */
export interface IDeploymentRequest {
  name: string;
  /** `models:/<name>/<version>` or `models:/<name>@<alias>`. */
  model_uri: string;
  strategy?: IDeploymentStrategy;
  port?: number;
}

/** A version being rolled out beside the serving one. */
export interface IDeploymentCandidate {
  model_name: string;
  model_version: string;
  port: number | null;
  status: string;
}

export interface ITrafficStable {
  version: string;
  /** Percent of requests, 0-100. */
  weight: number;
}

export interface ITrafficCandidate extends ITrafficStable {
  mode: DeploymentStrategyType;
  status: 'starting' | 'ready' | string;
}

/** How requests are split between the serving version and a candidate. */
export interface ITrafficSplit {
  stable: ITrafficStable;
  candidate: ITrafficCandidate | null;
}

/** A deployment as every `deployments` route answers it. */
export interface IDeployment {
  name: string;
  status: DeploymentStatus;
  model_uri: string;
  model_name: string;
  model_version: string;
  strategy: DeploymentStrategyType;
  /** The `/invocations` URL while a process serves; null otherwise. */
  endpoint: string | null;
  host?: string | null;
  port: number | null;
  pid?: number | null;
  restarts: number;
  error: string | null;
  candidate: IDeploymentCandidate | null;
  /** Epoch seconds. */
  created_at: number;
  updated_at?: number | null;
  started_at?: number | null;
  ready_at: number | null;
  /** Absent from servers without the traffic router. */
  traffic?: ITrafficSplit | null;
  /** The validated spec; `trigger` is set when the deployment retrains itself. */
  spec?: { trigger?: Record<string, unknown> | null; [key: string]: unknown };
}

/** One entry of a deployment's history: deploys, starts, crashes, rollouts. */
export interface IDeploymentEvent {
  id: number;
  /** Epoch seconds. */
  at: number;
  kind: string;
  message: string;
}

/** One firing of a deployment's retraining trigger. */
export interface ITriggerFiring {
  id: number;
  status:
    | 'retraining'
    | 'registered'
    | 'canary'
    | 'promoted'
    | 'rolled_back'
    | 'failed';
  /** ISO 8601. */
  fired_at: string;
  reason: string;
  execution_id: string | null;
  model_version: string | null;
  message: string | null;
}

export interface ITriggerHistory {
  deployment: string;
  trigger: Record<string, unknown> | null;
  firings: ITriggerFiring[];
}

export interface IRequestStats {
  requests: number;
  /** Requests per second over the window. */
  rate: number;
  errors: number;
  /** 0-1. */
  error_rate: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface IVersionMetrics extends IRequestStats {
  version: string;
  role: 'stable' | 'candidate';
  weight: number;
}

/** Request counts and latencies over the last `window_seconds`. */
export interface IDeploymentMetrics {
  window_seconds: number;
  versions: IVersionMetrics[];
  total: IRequestStats;
}

/** Shares per bin (numeric, `edges` one longer) or per category. */
export interface IDriftHistogram {
  edges?: number[];
  categories?: string[];
  reference: number[];
  current: number[];
}

export interface IFeatureDrift {
  name: string;
  kind: 'numeric' | 'categorical';
  psi: number | null;
  statistic: number | null;
  p_value: number | null;
  test: string | null;
  /** Null when there is too little data to say. */
  drifted: boolean | null;
  note?: string;
  histogram: IDriftHistogram | null;
}

/** Requests served in a window against the model's training (reference) data. */
export interface IDriftReport {
  deployment: string;
  model_version: string;
  /** `start` and `end`: epoch seconds or ISO 8601. */
  window: {
    seconds: number;
    start: number | string;
    end: number | string;
    rows: number;
  };
  reference: { source: string; rows: number };
  features: IFeatureDrift[];
  prediction: Record<string, unknown> | null;
  drifted: string[];
  performance: Record<string, unknown> | null;
}

/**
 * An MLflow scoring payload (`dataframe_split`, `dataframe_records`,
 * `instances` or `inputs`).
 */
export type ScoringPayload = Record<string, unknown>;

/**
 * Whether `reason` says the route itself does not exist on this server (an
 * older server without metrics, drift or promote), as opposed to a
 * deployment it does not know: the first hides a part of the UI, the
 * second is an error to show.
 */
export function isRouteMissing(reason: unknown): boolean {
  // Unmatched URLs get Jupyter's HTML 404 page, so no `{code, message}`
  // body: `requestAPI` names the code after the status then.
  return (
    reason instanceof MLOpsApiError &&
    (reason.status === 404 || reason.status === 405) &&
    reason.code !== 'not_found'
  );
}

export async function listDeployments(
  settings?: Settings
): Promise<IDeployment[]> {
  const answer = await requestAPI<{ deployments: IDeployment[] }>(
    'deployments',
    {},
    settings
  );
  return answer.deployments;
}

export function getDeployment(
  name: string,
  settings?: Settings
): Promise<IDeployment> {
  return requestAPI<IDeployment>(apiPath(['deployments', name]), {}, settings);
}

/**
 * Deploy a model version (or roll a new one out under an existing name).
 * Refusals carry the offending `field` (`name`, `model_uri`,
 * `strategy.percent`, ...).
 */
export function createDeployment(
  request: IDeploymentRequest,
  settings?: Settings
): Promise<IDeployment> {
  return requestAPI<IDeployment>(
    'deployments',
    jsonRequest('POST', request),
    settings
  );
}

/** Stop serving; the record stays, with its events, as `stopped`. */
export function undeploy(
  name: string,
  settings?: Settings
): Promise<IDeployment> {
  return requestAPI<IDeployment>(
    apiPath(['deployments', name]),
    { method: 'DELETE' },
    settings
  );
}

/** The serving process's answer to an MLflow scoring payload. */
export function predict(
  name: string,
  payload: ScoringPayload,
  settings?: Settings
): Promise<{ predictions: unknown }> {
  return requestAPI(
    apiPath(['deployments', name, 'predict']),
    jsonRequest('POST', payload),
    settings
  );
}

/** The deployment's history, newest first. */
export async function listDeploymentEvents(
  name: string,
  limit?: number,
  settings?: Settings
): Promise<IDeploymentEvent[]> {
  const answer = await requestAPI<
    { events: IDeploymentEvent[] } | IDeploymentEvent[]
  >(apiPath(['deployments', name, 'events'], { limit }), {}, settings);
  return Array.isArray(answer) ? answer : answer.events;
}

export function getDeploymentMetrics(
  name: string,
  settings?: Settings
): Promise<IDeploymentMetrics> {
  return requestAPI<IDeploymentMetrics>(
    apiPath(['deployments', name, 'metrics']),
    {},
    settings
  );
}

/** Make the candidate the serving version. */
export function promoteDeployment(
  name: string,
  settings?: Settings
): Promise<IDeployment> {
  return requestAPI<IDeployment>(
    apiPath(['deployments', name, 'promote']),
    { method: 'POST' },
    settings
  );
}

/** Drop the candidate; the stable version takes all traffic again. */
export function rollbackDeployment(
  name: string,
  settings?: Settings
): Promise<IDeployment> {
  return requestAPI<IDeployment>(
    apiPath(['deployments', name, 'rollback']),
    { method: 'POST' },
    settings
  );
}

/** Drift of the last `windowSeconds` of requests against the reference data. */
export function getDeploymentDrift(
  name: string,
  windowSeconds?: number,
  settings?: Settings
): Promise<IDriftReport> {
  return requestAPI<IDriftReport>(
    apiPath(['deployments', name, 'drift'], { window: windowSeconds }),
    {},
    settings
  );
}

/** The deployment's retraining trigger and its firings, newest first. */
export function getTriggerHistory(
  name: string,
  settings?: Settings
): Promise<ITriggerHistory> {
  return requestAPI<ITriggerHistory>(
    apiPath(['deployments', name, 'triggers']),
    {},
    settings
  );
}
