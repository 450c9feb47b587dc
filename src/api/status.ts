import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './request';

export interface IAgentStatus {
  state: 'active' | 'inactive';
  holder: string | null;
  acquired_at: string | null;
  renewed_at: string | null;
  expires_at: string | null;
}

/** What the project's job executor can do: the UI offers only that. */
export interface IExecutorFeatures {
  gpus: boolean;
  cancel: boolean;
  live_log: boolean;
}

export interface IExecutor {
  name: string;
  features: IExecutorFeatures;
}

export interface IStatus {
  version: string;
  home: string;
  tracking_uri: string;
  artifact_root: string;
  state_url: string;
  executor: IExecutor;
  agent: IAgentStatus;
}

/**
 * Fetch the server-side configuration and agent state.
 */
export function getStatus(
  settings?: ServerConnection.ISettings
): Promise<IStatus> {
  return requestAPI<IStatus>('status', {}, settings);
}
