import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IModelVersion } from '../api';
import { formatMetric, formatTime } from '../format';
import { AliasChip } from './AliasChip';
import { GateVerdictView } from './Gate';

export function VersionRow(props: {
  version: IModelVersion;
  onOpenRun(runId: string): void;
  onRemoveAlias(alias: string): void;
  /** Open the Deploy dialog for this version. */
  onDeploy?(version: string): void;
  /** Open the lineage graph around this version. */
  onLineage?(version: string): void;
  /** Open the Score a dataset dialog for this version. */
  onScore?(version: string): void;
  /** Whether its model has a gate: then it can be evaluated against it. */
  gated?: boolean;
  /** Evaluate this version against its model's gate. */
  onEvaluate?(): Promise<void>;
  trans: TranslationBundle;
}): JSX.Element {
  const { version, trans } = props;
  const runId = version.run_id;
  const signature = version.signature;
  return (
    <li className="jp-mlops-version" data-version={version.version}>
      <div className="jp-mlops-version-head">
        <span className="jp-mlops-version-number">
          {trans.__('Version %1', version.version)}
        </span>
        {version.aliases.map(alias => (
          <AliasChip
            key={alias}
            alias={alias}
            onRemove={() => props.onRemoveAlias(alias)}
            trans={trans}
          />
        ))}
        <span className="jp-mlops-version-status" title={trans.__('Status')}>
          {version.status}
        </span>
      </div>
      <div className="jp-mlops-version-meta">
        <span>{formatTime(version.creation_timestamp)}</span>
        {runId && (
          <button
            className="jp-mlops-link jp-mlops-version-run"
            title={trans.__('Open source run %1', runId)}
            onClick={() => props.onOpenRun(runId)}
          >
            {trans.__('run %1', runId.slice(0, 8))}
          </button>
        )}
        {props.onLineage && (
          <button
            className="jp-mlops-link jp-mlops-version-lineage"
            title={trans.__(
              'Where version %1 came from and where it serves',
              version.version
            )}
            onClick={() => props.onLineage?.(version.version)}
          >
            {trans.__('Lineage')}
          </button>
        )}
        {props.onDeploy && (
          <button
            className="jp-mlops-link jp-mlops-version-deploy"
            title={trans.__('Serve version %1 over HTTP', version.version)}
            onClick={() => props.onDeploy?.(version.version)}
          >
            {trans.__('Deploy…')}
          </button>
        )}
        {props.onScore && (
          <button
            className="jp-mlops-link jp-mlops-version-score"
            title={trans.__(
              'Predict every row of a dataset with version %1, as a job',
              version.version
            )}
            onClick={() => props.onScore?.(version.version)}
          >
            {trans.__('Score a dataset…')}
          </button>
        )}
      </div>
      {Object.keys(version.metrics).length > 0 && (
        <div className="jp-mlops-version-metrics">
          {Object.entries(version.metrics).map(([key, value]) => (
            <span key={key} className="jp-mlops-chip" data-metric={key}>
              {key} {formatMetric(value)}
            </span>
          ))}
        </div>
      )}
      <GateVerdictView
        verdict={version.gate}
        gated={props.gated ?? false}
        onEvaluate={props.onEvaluate}
        trans={trans}
      />
      {signature ? (
        <dl className="jp-mlops-signature">
          <dt>{trans.__('Inputs')}</dt>
          <dd>{signature.inputs ?? '—'}</dd>
          <dt>{trans.__('Outputs')}</dt>
          <dd>{signature.outputs ?? '—'}</dd>
        </dl>
      ) : (
        <div className="jp-mlops-muted">{trans.__('No signature')}</div>
      )}
    </li>
  );
}
