import { ServerConnection } from '@jupyterlab/services';

import {
  IGateVerdict,
  IModelAlias,
  IModelGate,
  IModelGateSpec,
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
  IGateVerdict,
  IModelGate,
  IModelGateSpec,
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

/**
 * Point an alias at a version. A gated alias (see `getModelGate`) moves only
 * to a version that passed its gate: the server refuses others (409, code
 * `gate_refused`, naming the failing metrics) unless `force` comes with a
 * `reason`, which is recorded on the version.
 */
export function setModelAlias(
  name: string,
  alias: string,
  version: string,
  settings?: Settings,
  force?: { reason: string }
): Promise<IModelAlias> {
  const body = force
    ? { version, force: true, reason: force.reason }
    : { version };
  return requestAPI<IModelAlias>(
    apiPath(['models', name, 'aliases', alias]),
    jsonRequest('PUT', body),
    settings
  );
}

/** A registered model's gate (`gate: null` without one). */
export function getModelGate(
  name: string,
  settings?: Settings
): Promise<IModelGate> {
  return requestAPI<IModelGate>(
    apiPath(['models', name, 'gate']),
    {},
    settings
  );
}

/** Set (replace) a model's gate; the server refuses a bad one naming the field. */
export function setModelGate(
  name: string,
  gate: IModelGateSpec,
  settings?: Settings
): Promise<IModelGate> {
  return requestAPI<IModelGate>(
    apiPath(['models', name, 'gate']),
    jsonRequest('PUT', gate),
    settings
  );
}

/** Evaluate a version against its model's gate: the verdict, kept on its tags. */
export function evaluateModelVersion(
  name: string,
  version: string,
  settings?: Settings
): Promise<IGateVerdict> {
  return requestAPI<IGateVerdict>(
    apiPath(['models', name, 'versions', version, 'evaluate']),
    jsonRequest('POST', {}),
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
