import { ServerConnection } from '@jupyterlab/services';

import {
  IJobSubmission,
  IScoreADataset,
  IScoringOutputs
} from './generated/schemas';
import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

/** What `POST scoring` takes (request schema `score-request`). */
export type IScoreRequest = IScoreADataset;

/**
 * Queue a scoring job (or schedule one). A bad request rejects with an
 * `MLOpsApiError` whose `field` names it (`input`, `output`, `model`, ...),
 * and nothing is queued.
 */
export function submitScoring(
  request: IScoreRequest,
  settings?: Settings
): Promise<IJobSubmission> {
  return requestAPI<IJobSubmission>(
    'scoring',
    jsonRequest('POST', request),
    settings
  );
}

/** Scoring outputs with their versions, newest first. */
export async function listScoringOutputs(
  name?: string,
  settings?: Settings
): Promise<IScoringOutputs['outputs']> {
  const path = name === undefined ? 'scoring' : apiPath(['scoring', name]);
  const answer = await requestAPI<IScoringOutputs>(path, {}, settings);
  return answer.outputs;
}
