import { ServerConnection } from '@jupyterlab/services';

import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

/** The type papermill reads from a parameter's annotation or default; null when unknown. */
export type JobParameterType =
  'int' | 'float' | 'str' | 'bool' | 'list' | 'dict' | null;

export interface IJobParameter {
  name: string;
  type: JobParameterType;
  /** The literal default; the source text when it is an expression (e.g. `np.pi`). */
  default: unknown;
  /** The comment after the assignment in the parameters cell. */
  help: string;
}

export interface INotebookParameters {
  /** Server-root-relative path of the notebook. */
  notebook: string;
  /** The kernel spec name of the notebook's metadata. */
  kernel: string;
  parameters: IJobParameter[];
}

export type CatchupPolicy = 'none' | 'latest' | 'all';

export interface IJobSchedule {
  /** Five cron fields: minute hour day month weekday. */
  cron: string;
  /** An IANA time zone; the server defaults to UTC. */
  timezone?: string;
  catchup?: CatchupPolicy;
}

export interface IJobRetry {
  max_attempts?: number;
  backoff_seconds?: number;
}

export interface IJobResources {
  gpus?: number;
  /** Only GPUs whose name contains this. */
  gpu_type?: string;
}

/** The body of `POST jobs` (the `job-spec` JSON Schema). */
export interface IJobRequest {
  notebook: string;
  name?: string;
  /** Parameter name -> value; strings are parsed to the parameter's type. */
  parameters?: Record<string, unknown>;
  kernel?: string;
  experiment?: string;
  resources?: IJobResources;
  /** Seconds the whole job may run. */
  timeout?: number;
  /** Seconds one cell may run. */
  cell_timeout?: number;
  retry?: IJobRetry;
  schedule?: IJobSchedule;
  tags?: Record<string, string>;
  sweep?: {
    grid: Record<string, unknown[]>;
    samples?: number;
    seed?: number;
  };
}

/** A job spec as the server stored it: every default filled in. */
export interface IJobSpec {
  notebook: string;
  name: string;
  parameters: Record<string, unknown>;
  kernel: string;
  experiment: string;
  resources: { gpus: number; gpu_type?: string };
  timeout: number;
  cell_timeout: number | null;
  retry: { max_attempts: number; backoff_seconds: number };
  tags: Record<string, string>;
  schedule?: { cron: string; timezone: string; catchup: CatchupPolicy };
  parent_run_id?: string;
}

export type JobStatus =
  'queued' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The statuses an execution can still leave. */
export const ACTIVE_JOB_STATUSES: ReadonlyArray<JobStatus> = [
  'queued',
  'starting',
  'running'
];

export function isActiveJob(status: JobStatus): boolean {
  return ACTIVE_JOB_STATUSES.includes(status);
}

export interface IJobError {
  ename: string;
  evalue: string;
  /** Execution count of the failing cell. */
  cell?: number | null;
  /** Index of the failing cell in the notebook. */
  cell_index?: number | null;
}

export interface IExecution {
  id: string;
  definition_id: string | null;
  spec: IJobSpec;
  status: JobStatus;
  attempt: number;
  /** The execution this one retries (after a failure). */
  retry_of: string | null;
  /** The execution this one re-runs (on request). */
  rerun_of: string | null;
  gpus: number;
  gpu_ids: string[] | null;
  host: string | null;
  pid: number | null;
  /** Epoch seconds. */
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  cancel_requested: boolean;
  mlflow_run_id: string | null;
  /** Server-root-relative path of the executed notebook. */
  output_path: string | null;
  progress: { done: number; total: number };
  error: IJobError | null;
  inputs: Record<string, unknown> | null;
}

export interface IJobDefinition {
  id: string;
  name: string;
  spec: IJobSpec;
  cron: string;
  timezone: string;
  catchup: CatchupPolicy;
  /** Epoch seconds. */
  next_run_at: number | null;
  enabled: boolean;
  created_at: number;
}

/**
 * What `POST jobs` created, one of: an execution queued now, a scheduled
 * definition (with `schedule`), or a sweep's executions (with `sweep`).
 */
export interface IJobSubmission {
  execution?: IExecution;
  definition?: IJobDefinition;
  sweep?: { parent_run_id: string; executions: IExecution[] };
}

export interface IGpu {
  id: string;
  name: string;
}

export interface ILogChunk {
  text: string;
  /** The offset to ask for next. */
  next: number;
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
  const answer = await requestAPI<{ gpus: IGpu[] }>(
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
  const answer = await requestAPI<{ executions: IExecution[] }>(
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
  const answer = await requestAPI<{ definitions: IJobDefinition[] }>(
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
