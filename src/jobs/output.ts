import { CommandRegistry } from '@lumino/commands';

import { IExecution } from '../api';
import { openArtifact } from '../artifacts/drive';
import { baseName } from './format';

/**
 * The executed notebook of a finished execution: the worker logs it to the
 * execution's MLflow run as `output/<notebook file name>`, and it opens
 * read-only from there (its copy under the hidden home is not served).
 */
export async function openJobOutput(
  commands: CommandRegistry,
  execution: IExecution
): Promise<void> {
  if (!execution.mlflow_run_id) {
    return;
  }
  await openArtifact(
    commands,
    execution.mlflow_run_id,
    `output/${baseName(execution.spec.notebook)}`
  );
}
