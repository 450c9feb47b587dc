import { ServerConnection } from '@jupyterlab/services';

import { apiPath, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

/** The types a feature (or join key) can have. */
export type FeatureDtype =
  'int32' | 'int64' | 'float32' | 'float64' | 'string' | 'bool' | 'timestamp';

/** The dtypes whose statistics carry a histogram. */
export const NUMERIC_DTYPES: ReadonlyArray<string> = [
  'int32',
  'int64',
  'float32',
  'float64'
];

/** One view's newest version, as `GET features/views` lists it. */
export interface IFeatureViewSummary {
  name: string;
  version: number;
  description: string;
  owner: string;
  tags: Record<string, string>;
  entities: string[];
  /** Feature names, in schema order. */
  features: string[];
  /** Rows ingested (0 before the first batch). */
  rows: number;
  /** Latest event time of the ingested rows: ISO 8601, UTC without offset; null when none. */
  last_event: string | null;
}

export interface IFeatureField {
  name: string;
  dtype: FeatureDtype;
  description: string;
}

/** Where a view's rows come from: a file under the root, or a frame given at apply. */
export type FeatureSource =
  { kind: 'file'; path: string } | { kind: 'dataframe' } | null;

/** Equal-width bins: `edges` has one more entry than `counts`. */
export interface IHistogram {
  edges: number[];
  counts: number[];
}

/**
 * One feature's statistics. Numbers have min, max, mean, std and a
 * histogram; strings and booleans their most frequent values; timestamps
 * min and max (ISO strings).
 */
export interface IFeatureStats {
  dtype: FeatureDtype;
  count: number;
  nulls: number;
  distinct: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  std?: number | null;
  histogram?: IHistogram | null;
  top?: { value: string; count: number }[];
}

/** Statistics over all of a view's rows, computed at ingestion. */
export interface IFeatureViewStats {
  rows: number;
  /** ISO 8601, UTC without offset. */
  first_event: string | null;
  last_event: string | null;
  features: Record<string, IFeatureStats>;
}

export interface IFeatureViewVersion {
  version: number;
  /** Epoch seconds. */
  created_at: number;
  schema: IFeatureField[];
}

/** The view's last materialization to the online store. */
export interface IMaterialization {
  view: string;
  version: number;
  /** Epoch seconds: the event-time window loaded. */
  start: number;
  end: number;
  rows: number;
  materialized_at: number;
}

export interface IFeatureFreshness {
  /** Epoch seconds of the latest event ingested; null when nothing was. */
  last_event: number | null;
  /** Epoch seconds of the latest ingestion. */
  last_ingested: number | null;
  batches: number;
  rows: number;
  materialized: IMaterialization | null;
}

/** `GET features/views/<name>`: the spec at one version, its history and data. */
export interface IFeatureViewDetail {
  name: string;
  entities: string[];
  schema: IFeatureField[];
  source: FeatureSource;
  timestamp_field: string;
  created_timestamp_column: string | null;
  /** Null: values never expire. */
  ttl_seconds: number | null;
  description: string;
  owner: string;
  tags: Record<string, string>;
  version: number;
  /** Epoch seconds. */
  created_at: number;
  /** Null before the first ingestion into this version. */
  stats: IFeatureViewStats | null;
  /** Every version, newest first. */
  versions: IFeatureViewVersion[];
  freshness: IFeatureFreshness;
}

/** The newest rows of a view (by event time), as JSON values. */
export interface IFeatureSample {
  columns: string[];
  rows: unknown[][];
}

export interface IFeatureUsage {
  /** Runs whose training sets read the view. */
  runs: {
    run_id: string;
    run_name: string;
    experiment_id: string;
    /** The run's `view@version` list, comma-separated. */
    views: string;
  }[];
  /** Registered model versions logged by those runs. */
  models: { name: string; version: string; run_id: string }[];
}

export interface IFeatureService {
  name: string;
  version: number;
  /** `view:feature` references, or `view` for all of a view's features. */
  features: string[];
  description: string;
  tags: Record<string, string>;
}

/**
 * A feature store time in ms since the epoch: epoch seconds (freshness)
 * or an ISO string without offset, which the store keeps in UTC (stats).
 */
export function featureTimeMs(
  value: number | string | null | undefined
): number | null {
  if (value === null || value === undefined || value === '') {
    return null;
  }
  if (typeof value === 'number') {
    return value * 1000;
  }
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The newest version of every feature view; with `query`, only those whose
 * name, description, owner, tags or feature names contain it.
 */
export async function listFeatureViews(
  query = '',
  settings?: Settings
): Promise<IFeatureViewSummary[]> {
  const answer = await requestAPI<{ views: IFeatureViewSummary[] }>(
    apiPath(['features', 'views'], { q: query.trim() }),
    {},
    settings
  );
  return answer.views;
}

/** One view at `version` (default: the newest); 404 for an unknown one. */
export function getFeatureView(
  name: string,
  version?: number | null,
  settings?: Settings
): Promise<IFeatureViewDetail> {
  return requestAPI<IFeatureViewDetail>(
    apiPath(['features', 'views', name], { version }),
    {},
    settings
  );
}

/** The view's newest rows; `limit` is 1 to 1000 (the server defaults to 20). */
export function getFeatureSample(
  name: string,
  limit?: number,
  settings?: Settings
): Promise<IFeatureSample> {
  return requestAPI<IFeatureSample>(
    apiPath(['features', 'views', name, 'sample'], { limit }),
    {},
    settings
  );
}

/** The runs that built training sets from the view, and their models. */
export function getFeatureUsage(
  name: string,
  settings?: Settings
): Promise<IFeatureUsage> {
  return requestAPI<IFeatureUsage>(
    apiPath(['features', 'views', name, 'usage']),
    {},
    settings
  );
}

/**
 * Python code that builds a training set from a view or a feature service
 * (`get_historical_features`), ready for a notebook cell.
 */
export async function getFeatureSnippet(
  name: string,
  settings?: Settings
): Promise<string> {
  const answer = await requestAPI<{ code: string }>(
    apiPath(['features', 'snippets', name]),
    {},
    settings
  );
  return answer.code;
}

/** The newest version of every feature service. */
export async function listFeatureServices(
  settings?: Settings
): Promise<IFeatureService[]> {
  const answer = await requestAPI<{ services: IFeatureService[] }>(
    apiPath(['features', 'services']),
    {},
    settings
  );
  return answer.services;
}
