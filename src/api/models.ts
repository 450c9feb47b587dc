import { ServerConnection } from '@jupyterlab/services';

import {
  IModelAlias,
  IModelVersion,
  IModelVersions,
  IRegisterAModelVersion,
  IRegisteredModel,
  IRegisteredModels,
  IRegisteredVersion,
  IVersionTag
} from './generated/schemas';
import { apiPath, jsonRequest, requestAPI } from './request';

type Settings = ServerConnection.ISettings | undefined;

// Generated from the server's schemas (jupyter_mlops/schemas).
export type {
  IModelVersion,
  IRegisteredModel,
  IRegisteredVersion
} from './generated/schemas';

/** What `POST models` takes (request schema `register-model`). */
export type IRegistration = IRegisterAModelVersion;

export async function listModels(
  settings?: Settings
): Promise<IRegisteredModel[]> {
  const answer = await requestAPI<IRegisteredModels>('models', {}, settings);
  return answer.models;
}

/** Versions of one registered model, newest first. */
export async function listModelVersions(
  name: string,
  settings?: Settings
): Promise<IModelVersion[]> {
  const answer = await requestAPI<IModelVersions>(
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
): Promise<IModelAlias> {
  return requestAPI<IModelAlias>(
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
): Promise<IVersionTag> {
  return requestAPI<IVersionTag>(
    apiPath(['models', name, 'versions', version, 'tags', key]),
    jsonRequest('PUT', { value }),
    settings
  );
}
