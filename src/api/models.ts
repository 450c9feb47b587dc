import { ServerConnection } from '@jupyterlab/services';

import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

export interface IRegisteredModel {
  name: string;
  description: string | null;
  /** Alias -> version. */
  aliases: Record<string, string>;
  tags: Record<string, string>;
  creation_timestamp: number;
  last_updated_timestamp: number;
  latest_version: string | null;
}

export interface IModelVersion {
  version: string;
  run_id: string | null;
  source: string;
  status: string;
  aliases: string[];
  tags: Record<string, string>;
  creation_timestamp: number;
  signature: { inputs: string | null; outputs: string | null } | null;
}

export interface IRegistration {
  /** `runs:/<run_id>/<model name>` or `models:/m-...`. */
  source: string;
  name: string;
  alias?: string;
}

export interface IRegisteredVersion {
  name: string;
  version: string;
  aliases: string[];
}

export async function listModels(
  settings?: Settings
): Promise<IRegisteredModel[]> {
  const answer = await requestAPI<{ models: IRegisteredModel[] }>(
    'models',
    {},
    settings
  );
  return answer.models;
}

/** Versions of one registered model, newest first. */
export async function listModelVersions(
  name: string,
  settings?: Settings
): Promise<IModelVersion[]> {
  const answer = await requestAPI<{ versions: IModelVersion[] }>(
    apiPath(['models', name, 'versions']),
    {},
    settings
  );
  return answer.versions;
}

/**
 * Register a logged model as a new version. The server refuses (400) a
 * model without signature or input example, saying how to add one.
 */
export function registerModel(
  registration: IRegistration,
  settings?: Settings
): Promise<IRegisteredVersion> {
  const body: IRegistration = {
    source: registration.source,
    name: registration.name
  };
  if (registration.alias) {
    body.alias = registration.alias;
  }
  return requestAPI<IRegisteredVersion>(
    'models',
    jsonRequest('POST', body),
    settings
  );
}

export function setModelAlias(
  name: string,
  alias: string,
  version: string,
  settings?: Settings
): Promise<{ name: string; alias: string; version: string }> {
  return requestAPI(
    apiPath(['models', name, 'aliases', alias]),
    jsonRequest('PUT', { version }),
    settings
  );
}

export async function deleteModelAlias(
  name: string,
  alias: string,
  settings?: Settings
): Promise<void> {
  await requestAPI<void>(
    apiPath(['models', name, 'aliases', alias]),
    { method: 'DELETE' },
    settings
  );
}

export function setModelVersionTag(
  name: string,
  version: string,
  key: string,
  value: string,
  settings?: Settings
): Promise<{ key: string; value: string }> {
  return requestAPI(
    apiPath(['models', name, 'versions', version, 'tags', key]),
    jsonRequest('PUT', { value }),
    settings
  );
}
