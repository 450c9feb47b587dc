import { ServerConnection } from '@jupyterlab/services';

import {
  DeploymentStrategyType,
  IDeployment,
  IDeploymentEvent,
  IDeploymentEvents,
  IDeploymentMetrics,
  IDeployments,
  IDeploymentDriftReference,
  IDriftReport,
  IModelDeployment,
  IScoringAnswer,
  ITriggerHistory
} from './generated/schemas';
import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

// Generated from the server's schemas (jupyter_mlops/schemas).
export type {
  DeploymentStatus,
  DeploymentStrategyType,
  IDeployment,
  IDeploymentCandidate,
  IDeploymentEvent,
  IDeploymentMetrics,
  IDriftHistogram,
  IDeploymentDriftReference,
  IDriftReport,
  IFeatureDrift,
  IRequestStats,
  IScoringAnswer,
  ITrafficCandidate,
  ITrafficSplit,
  ITrafficStable,
  ITriggerFiring,
  ITriggerHistory,
  IVersionMetrics,
  Predictions
} from './generated/schemas';

/** What `POST deployments` takes (request schema `deployment`). */
export type IDeploymentRequest = IModelDeployment;
/** How a new version takes over from the one serving. */
export type IDeploymentStrategy = NonNullable<IDeploymentRequest['strategy']>;

export const DEPLOYMENT_STRATEGIES: ReadonlyArray<DeploymentStrategyType> = [
  'replace',
  'canary',
  'shadow',
  'blue_green'
];

/**
 * An MLflow scoring payload (`dataframe_split`, `dataframe_records`,
 * `instances` or `inputs`).
 */
export type ScoringPayload = Record<string, unknown>;

export async function listDeployments(
  settings?: Settings
): Promise<IDeployment[]> {
  const answer = await requestAPI<IDeployments>('deployments', {}, settings);
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

/**
 * The serving process's answer to an MLflow scoring payload (a payload in
 * MLflow's chat format would be answered unwrapped: see `Predictions`).
 */
export function predict(
  name: string,
  payload: ScoringPayload,
  settings?: Settings
): Promise<IScoringAnswer> {
  return requestAPI<IScoringAnswer>(
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
  const answer = await requestAPI<IDeploymentEvents | IDeploymentEvent[]>(
    apiPath(['deployments', name, 'events'], { limit }),
    {},
    settings
  );
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

/** What drift compares the serving version's traffic with. */
export function getDriftReference(
  name: string,
  settings?: Settings
): Promise<IDeploymentDriftReference> {
  return requestAPI<IDeploymentDriftReference>(
    apiPath(['deployments', name, 'reference']),
    {},
    settings
  );
}

/**
 * Set the drift reference: a file in the root, `runs:/<run>/<path>`,
 * `baseline` (the first hour of traffic), or null for the default.
 */
export function setDriftReference(
  name: string,
  reference: string | null,
  settings?: Settings
): Promise<IDeploymentDriftReference> {
  return requestAPI<IDeploymentDriftReference>(
    apiPath(['deployments', name, 'reference']),
    jsonRequest('PUT', { reference }),
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
