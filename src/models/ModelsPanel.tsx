import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { IRegisteredModel, listModels } from '../api';
import { CommandIDs } from '../commandIds';
import { DeploymentCommandIDs } from '../deployments/commandIds';
import { MLOpsEvents } from '../events';
import { errorMessage } from '../format';
import { EmptyState } from '../sections/section';
import { showDeployDialog } from './DeployDialog';
import { ModelItem } from './ModelItem';
import { showScoreDialog } from './ScoreDialog';

export interface IModelsPanelProps {
  serverSettings: ServerConnection.ISettings;
  commands: CommandRegistry;
  events: MLOpsEvents;
  trans: TranslationBundle;
}

/**
 * The registered models. A registry holds tens of models, not thousands,
 * so the list is fetched whole and not virtualized.
 */
export function ModelsPanel(props: IModelsPanelProps): JSX.Element {
  const { serverSettings, commands, events, trans } = props;
  const [models, setModels] = React.useState<IRegisteredModel[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);

  const reload = React.useCallback(async () => {
    try {
      setModels(await listModels(serverSettings));
      setError(null);
    } catch (reason) {
      setError(errorMessage(reason));
    }
  }, [serverSettings]);

  React.useEffect(() => {
    void reload();
    const onChanged = () => void reload();
    events.modelsChanged.connect(onChanged);
    return () => {
      events.modelsChanged.disconnect(onChanged);
    };
  }, [events, reload]);

  const onOpenRun = React.useCallback(
    (runId: string) => void commands.execute(CommandIDs.openRun, { runId }),
    [commands]
  );

  const onDeploy = React.useCallback(
    async (modelName: string, version: string) => {
      const deployment = await showDeployDialog({
        modelName,
        version,
        serverSettings,
        trans
      });
      if (
        deployment !== null &&
        commands.hasCommand(DeploymentCommandIDs.show)
      ) {
        await commands.execute(DeploymentCommandIDs.show, {
          name: deployment.name
        });
      }
    },
    [commands, serverSettings, trans]
  );

  const onScore = React.useCallback(
    async (modelName: string, version: string) => {
      const execution = await showScoreDialog({
        modelName,
        version,
        serverSettings,
        trans
      });
      if (execution !== null) {
        // Its live log: where a scoring job's progress and end are seen.
        await commands.execute(CommandIDs.openJobLog, {
          executionId: execution.id
        });
      }
    },
    [commands, serverSettings, trans]
  );

  return (
    <div className="jp-mlops-models" data-mlops-panel="models">
      <div className="jp-mlops-toolbar">
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Reload registered models')}
          onClick={() => void reload()}
        />
      </div>
      {error !== null && (
        <div className="jp-mlops-error" role="alert">
          {error}
        </div>
      )}
      {models !== null && models.length > 0 ? (
        <ul className="jp-mlops-model-list">
          {models.map(model => (
            <ModelItem
              key={model.name}
              model={model}
              serverSettings={serverSettings}
              onOpenRun={onOpenRun}
              onChanged={() => events.notifyModelsChanged()}
              onDeploy={version => void onDeploy(model.name, version)}
              onScore={version => void onScore(model.name, version)}
              onLineage={version =>
                void commands.execute(CommandIDs.openLineage, {
                  kind: 'model_version',
                  id: `${model.name}/${version}`
                })
              }
              trans={trans}
            />
          ))}
        </ul>
      ) : (
        (models !== null || error !== null) && (
          <EmptyState section="models">
            {trans.__(
              'Registered models, their versions and aliases (champion, challenger) will appear here.'
            )}
          </EmptyState>
        )
      )}
    </div>
  );
}
