import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  deleteModelAlias,
  evaluateModelVersion,
  getModelGate,
  IModelGateSpec,
  IModelVersion,
  IRegisteredModel,
  listModelVersions,
  MLOpsApiError,
  setModelAlias,
  setModelGate
} from '../api';
import { errorMessage } from '../format';
import { AliasChip } from './AliasChip';
import { AliasForm } from './AliasForm';
import { ForceMove, GateSummary } from './Gate';
import { VersionRow } from './VersionRow';

export interface IModelItemProps {
  model: IRegisteredModel;
  serverSettings: ServerConnection.ISettings;
  onOpenRun(runId: string): void;
  /** Called after this item changed the registry (an alias set or removed). */
  onChanged(): void;
  /** Open the Deploy dialog for a version of this model. */
  onDeploy?(version: string): void;
  /** Open the lineage graph around a version of this model. */
  onLineage?(version: string): void;
  /** Open the Score a dataset dialog for a version of this model. */
  onScore?(version: string): void;
  trans: TranslationBundle;
}

/**
 * One registered model; expanded, its versions (newest first) and a form
 * to point an alias at one of them.
 */
export function ModelItem(props: IModelItemProps): JSX.Element {
  const { model, serverSettings, trans } = props;
  const [expanded, setExpanded] = React.useState(false);
  const [versions, setVersions] = React.useState<IModelVersion[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [gate, setGate] = React.useState<IModelGateSpec | null>(null);
  // A move of the gated alias the server refused: shown with "Force with reason".
  const [refused, setRefused] = React.useState<{
    alias: string;
    version: string;
    message: string;
  } | null>(null);
  const [reloads, setReloads] = React.useState(0);

  // Refetched whenever the list hands in a new model object: that is how
  // an alias change made elsewhere reaches an open item.
  React.useEffect(() => {
    if (!expanded) {
      return;
    }
    let stale = false;
    listModelVersions(model.name, serverSettings).then(
      found => !stale && (setVersions(found), setError(null)),
      reason => !stale && setError(errorMessage(reason))
    );
    getModelGate(model.name, serverSettings).then(
      found => !stale && setGate(found.gate),
      reason => !stale && setError(errorMessage(reason))
    );
    return () => {
      stale = true;
    };
  }, [expanded, model, serverSettings, reloads]);

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(null);
      props.onChanged();
    } catch (reason) {
      setError(errorMessage(reason));
    }
  };
  const moveAlias = async (alias: string, version: string) => {
    try {
      await setModelAlias(model.name, alias, version, serverSettings);
      setError(null);
      setRefused(null);
      props.onChanged();
    } catch (reason) {
      if (reason instanceof MLOpsApiError && reason.code === 'gate_refused') {
        setRefused({ alias, version, message: reason.message });
      } else {
        setError(errorMessage(reason));
      }
    }
  };
  const saveGate = async (spec: IModelGateSpec): Promise<boolean> => {
    try {
      setGate((await setModelGate(model.name, spec, serverSettings)).gate);
      setError(null);
      return true;
    } catch (reason) {
      setError(errorMessage(reason));
      return false;
    }
  };
  const evaluate = async (version: string) => {
    try {
      await evaluateModelVersion(model.name, version, serverSettings);
      setError(null);
      setReloads(n => n + 1); // the verdict is on the version's tags
    } catch (reason) {
      setError(errorMessage(reason));
    }
  };
  const caret = expanded ? caretDownIcon : caretRightIcon;
  const aliases = Object.keys(model.aliases).sort();

  return (
    <li className="jp-mlops-model" data-model={model.name}>
      <button
        className="jp-mlops-model-head"
        aria-expanded={expanded}
        onClick={() => setExpanded(!expanded)}
      >
        <caret.react tag="span" elementSize="small" />
        <span className="jp-mlops-model-name">{model.name}</span>
        {model.latest_version !== null && (
          <span className="jp-mlops-muted jp-mlops-model-latest">
            {trans.__('latest v%1', model.latest_version)}
          </span>
        )}
        {aliases.map(alias => (
          <AliasChip
            key={alias}
            alias={alias}
            version={model.aliases[alias]}
            trans={trans}
          />
        ))}
      </button>
      {expanded && (
        <div className="jp-mlops-model-body">
          {model.description && (
            <p className="jp-mlops-muted">{model.description}</p>
          )}
          {error !== null && (
            <div className="jp-mlops-error" role="alert">
              {error}
            </div>
          )}
          <GateSummary
            gate={gate}
            onSave={saveGate}
            onInvalid={setError}
            trans={trans}
          />
          {versions === null ? (
            <div className="jp-mlops-muted">{trans.__('Loading…')}</div>
          ) : (
            <>
              <ul className="jp-mlops-versions">
                {versions.map(version => (
                  <VersionRow
                    key={version.version}
                    version={version}
                    onOpenRun={props.onOpenRun}
                    onDeploy={props.onDeploy}
                    onLineage={props.onLineage}
                    onScore={props.onScore}
                    gated={gate !== null}
                    onEvaluate={() => evaluate(version.version)}
                    onRemoveAlias={alias =>
                      act(() =>
                        deleteModelAlias(model.name, alias, serverSettings)
                      )
                    }
                    trans={trans}
                  />
                ))}
              </ul>
              {versions.length > 0 && (
                <AliasForm
                  versions={versions}
                  onSubmit={moveAlias}
                  trans={trans}
                />
              )}
              {refused !== null && (
                <ForceMove
                  key={`${refused.alias}@${refused.version}`}
                  message={refused.message}
                  alias={refused.alias}
                  version={refused.version}
                  onForce={reason =>
                    act(async () => {
                      await setModelAlias(
                        model.name,
                        refused.alias,
                        refused.version,
                        serverSettings,
                        { reason }
                      );
                      setRefused(null);
                    })
                  }
                  onCancel={() => setRefused(null)}
                  trans={trans}
                />
              )}
            </>
          )}
        </div>
      )}
    </li>
  );
}
