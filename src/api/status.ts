import { ServerConnection } from '@jupyterlab/services';

import { IChangeTokens, IStatus } from './generated/schemas';
import { requestAPI } from './request';

// Generated from the server's response schemas (jupyter_mlops/schemas/responses).
export type {
  IAgentStatus,
  IChangeTokens,
  IExecutor,
  IExecutorFeatures,
  IStatus
} from './generated/schemas';

/**
 * Fetch the server-side configuration and agent state.
 */
export function getStatus(
  settings?: ServerConnection.ISettings
): Promise<IStatus> {
  return requestAPI<IStatus>('status', {}, settings);
}

/** Tokens that change when experiments or feature definitions do. */
export function getChanges(
  settings?: ServerConnection.ISettings
): Promise<IChangeTokens> {
  return requestAPI<IChangeTokens>('changes', {}, settings);
}
