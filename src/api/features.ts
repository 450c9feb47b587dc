import { ServerConnection } from '@jupyterlab/services';

import {
  IFeatureSample,
  IFeatureService,
  IFeatureServices,
  IFeatureSnippet,
  IFeatureUsage,
  IFeatureViewDetail,
  IFeatureViews,
  IFeatureViewSummary
} from './generated/schemas';
import { apiPath, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

// Generated from the server's response schemas (jupyter_mlops/schemas/responses).
export type {
  FeatureDtype,
  IFeatureField,
  IFeatureFreshness,
  IFeatureService,
  IFeatureSample,
  IFeatureStats,
  IFeatureUsage,
  IFeatureViewDetail,
  IFeatureViewStats,
  IFeatureViewSummary,
  IFeatureViewVersion,
  IHistogram,
  IMaterialization
} from './generated/schemas';

/** Where a view's rows come from: a file under the root, or a frame given at apply. */
export type FeatureSource = IFeatureViewDetail['source'];

/** The dtypes whose statistics carry a histogram. */
export const NUMERIC_DTYPES: ReadonlyArray<string> = [
  'int32',
  'int64',
  'float32',
  'float64'
];

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
  const answer = await requestAPI<IFeatureViews>(
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
  const answer = await requestAPI<IFeatureSnippet>(
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
  const answer = await requestAPI<IFeatureServices>(
    apiPath(['features', 'services']),
    {},
    settings
  );
  return answer.services;
}
