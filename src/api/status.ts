import { ServerConnection } from '@jupyterlab/services';

import { IStatus } from './generated/schemas';
import { requestAPI } from './request';

// Generated from the server's response schemas (jupyter_mlops/schemas/responses).
export type {
  IAgentStatus,
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
