import { ServerConnection } from '@jupyterlab/services';

import { ILineageGraph } from './generated/schemas';
import { apiPath, requestAPI } from './request';

// Generated from the server's schemas (jupyter_mlops/schemas).
export type {
  ILineageEdge,
  ILineageGraph,
  ILineageNode
} from './generated/schemas';

/** What a lineage graph can start from. */
export type LineageKind =
  | 'run'
  | 'execution'
  | 'model_version'
  | 'deployment'
  | 'feature_view'
  | 'output';

/**
 * The lineage graph around one thing: `id` is a run or execution id,
 * `NAME/VERSION` of a model version, a deployment name, `VIEW[@VERSION]`, or
 * `OUTPUT/VERSION` of a batch output.
 */
export function getLineage(
  kind: LineageKind,
  id: string,
  settings?: ServerConnection.ISettings
): Promise<ILineageGraph> {
  return requestAPI<ILineageGraph>(
    apiPath(['lineage'], { kind, id }),
    {},
    settings
  );
}
