import { ServerConnection } from '@jupyterlab/services';

import {
  IExecution,
  IExecutions,
  IGpu,
  IGpus,
  IJobDefinition,
  IJobDefinitions,
  IJobSubmission,
  ILogChunk,
  INotebookParameters,
  INotebookTrainingJob,
  JobStatus
} from './generated/schemas';
import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

// Generated from the server's schemas (jupyter_mlops/schemas).
export type {
  IExecution,
  IGpu,
  IJobDefinition,
  IJobError,
  IJobParameter,
  IJobSpec,
  IJobSubmission,
  ILogChunk,
  INotebookParameters,
  JobParameterType,
  JobStatus
} from './generated/schemas';

/** The body of `POST jobs` (request schema `job-spec`). */
export type IJobRequest = INotebookTrainingJob;
export type IJobResources = NonNullable<IJobRequest['resources']>;
export type IJobRetry = NonNullable<IJobRequest['retry']>;
export type IJobSchedule = NonNullable<IJobRequest['schedule']>;
export type CatchupPolicy = NonNullable<IJobSchedule['catchup']>;

/** The statuses an execution can still leave. */
export const ACTIVE_JOB_STATUSES: ReadonlyArray<JobStatus> = [
  'queued',
  'starting',
  'running'
];

export function isActiveJob(status: JobStatus): boolean {
  return ACTIVE_JOB_STATUSES.includes(status);
}

export interface IExecutionQuery {
  /** Only executions with one of these statuses. */
  status?: ReadonlyArray<JobStatus>;
  /** At most this many, newest first (the server defaults to 200). */
  limit?: number;
}

/** A JSON Schema document, as far as the form reads it. */
export interface IJsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  properties?: Record<string, IJsonSchema>;
  required?: string[];
}

/**
 * The parameters a job form shows for `notebook`. Rejects with an
 * `MLOpsApiError` on field `notebook` when it has no parameters cell (the
 * message says how to tag one), is outside the root or is missing.
 */
export function getJobParameters(
  notebook: string,
  settings?: Settings
): Promise<INotebookParameters> {
  return requestAPI<INotebookParameters>(
    apiPath(['jobs', 'parameters'], { notebook }),
    {},
    settings
  );
}

/** The JSON Schema of `POST jobs` bodies. */
export function getJobSpecSchema(settings?: Settings): Promise<IJsonSchema> {
  return requestAPI<IJsonSchema>(
    apiPath(['schemas', 'job-spec']),
    {},
    settings
  );
}

/**
 * Submit a job: queued now, or stored as a definition when it has a
 * schedule. A bad value rejects with an `MLOpsApiError` whose `field`
 * names it (`parameters.epochs`, `resources.gpus`, `schedule.cron`, ...).
 */
export function submitJob(
  request: IJobRequest,
  settings?: Settings
): Promise<IJobSubmission> {
  return requestAPI<IJobSubmission>(
    'jobs',
    jsonRequest('POST', request),
    settings
  );
}

/** The GPUs jobs can ask for on the server's machine (often none). */
export async function listGpus(settings?: Settings): Promise<IGpu[]> {
  const answer = await requestAPI<IGpus>(
    apiPath(['jobs', 'gpus']),
    {},
    settings
  );
  return answer.gpus;
}

/** Executions, newest first. */
export async function listExecutions(
  query: IExecutionQuery = {},
  settings?: Settings
): Promise<IExecution[]> {
  const answer = await requestAPI<IExecutions>(
    apiPath(['jobs', 'executions'], {
      status: query.status?.join(','),
      limit: query.limit
    }),
    {},
    settings
  );
  return answer.executions;
}

export function getExecution(
  executionId: string,
  settings?: Settings
): Promise<IExecution> {
  return requestAPI<IExecution>(
    apiPath(['jobs', 'executions', executionId]),
    {},
    settings
  );
}

/** Scheduled job definitions. */
export async function listJobDefinitions(
  settings?: Settings
): Promise<IJobDefinition[]> {
  const answer = await requestAPI<IJobDefinitions>(
    apiPath(['jobs', 'definitions']),
    {},
    settings
  );
  return answer.definitions;
}

/**
 * Cancel a queued execution now, or ask the agent to stop a running one
 * (`cancel_requested`). Rejects with a 409 once it has finished.
 */
export function cancelExecution(
  executionId: string,
  settings?: Settings
): Promise<IExecution> {
  return requestAPI<IExecution>(
    apiPath(['jobs', 'executions', executionId, 'cancel']),
    { method: 'POST' },
    settings
  );
}

/** Queue a new execution with the recorded spec of `executionId`. */
export function rerunExecution(
  executionId: string,
  settings?: Settings
): Promise<IExecution> {
  return requestAPI<IExecution>(
    apiPath(['jobs', 'executions', executionId, 'rerun']),
    { method: 'POST' },
    settings
  );
}

/**
 * The execution's log from byte `offset`: append `text`, then ask again
 * from `next` to follow it.
 */
export function getExecutionLog(
  executionId: string,
  offset = 0,
  settings?: Settings
): Promise<ILogChunk> {
  return requestAPI<ILogChunk>(
    apiPath(['jobs', 'executions', executionId, 'log'], { offset }),
    {},
    settings
  );
}
