import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IGateVerdict, IModelGateSpec } from '../api';
import { formatMetric } from '../format';

function bounds(spec: Record<string, number | undefined>): string {
  return Object.entries(spec)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key.replace(/_/g, ' ')} ${value}`)
    .join(', ');
}

/**
 * A model's gate: the alias it guards, its holdout and each metric's bounds,
 * with an editor (the gate as JSON, as `PUT models/{name}/gate` takes it).
 */
export function GateSummary(props: {
  gate: IModelGateSpec | null;
  /** Save it; resolves true once saved (the item shows a refusal). */
  onSave(gate: IModelGateSpec): Promise<boolean>;
  /** Text that is not JSON: said by the item, as a refusal is. */
  onInvalid(message: string): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { gate, trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [text, setText] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const edit = () => {
    const start: IModelGateSpec = gate ?? {
      dataset: 'holdout.parquet',
      label: 'label',
      alias: 'champion',
      metrics: { roc_auc: { min: 0.8, not_worse_than_champion_by: 0.01 } }
    };
    setText(JSON.stringify(start, null, 2));
    setEditing(true);
  };
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    let parsed: IModelGateSpec;
    try {
      parsed = JSON.parse(text);
    } catch (reason) {
      props.onInvalid(trans.__('The gate is not JSON: %1', String(reason)));
      return;
    }
    setBusy(true);
    try {
      if (await props.onSave(parsed)) {
        setEditing(false);
      }
    } finally {
      setBusy(false);
    }
  };
  const dataset =
    gate === null
      ? ''
      : typeof gate.dataset === 'string'
        ? gate.dataset
        : `${gate.dataset.feature_service} + ${gate.dataset.entities}`;
  return (
    <div className="jp-mlops-gate" data-gated={gate ? gate.alias : ''}>
      {gate ? (
        <div className="jp-mlops-gate-summary">
          <span className="jp-mlops-gate-title">
            {trans.__('Gate on %1', gate.alias ?? 'champion')}
          </span>{' '}
          <span className="jp-mlops-muted">
            {trans.__('holdout %1, label %2', dataset, gate.label)}
          </span>
          <ul className="jp-mlops-gate-metrics">
            {Object.entries(gate.metrics).map(([metric, spec]) => (
              <li key={metric} data-metric={metric}>
                {metric}: {bounds(spec)}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <span className="jp-mlops-muted">
          {trans.__('No gate: any version may become champion.')}
        </span>
      )}{' '}
      {!editing && (
        <button className="jp-mlops-link jp-mlops-gate-edit" onClick={edit}>
          {gate ? trans.__('Edit gate…') : trans.__('Add a gate…')}
        </button>
      )}
      {editing && (
        <form className="jp-mlops-gate-form" onSubmit={save}>
          <textarea
            className="jp-mlops-gate-json jp-mod-styled"
            aria-label={trans.__('Gate (JSON)')}
            rows={10}
            value={text}
            onChange={event => setText(event.target.value)}
          />
          <Button type="submit" small disabled={busy}>
            {trans.__('Save gate')}
          </Button>{' '}
          <Button small minimal onClick={() => setEditing(false)}>
            {trans.__('Cancel')}
          </Button>
        </form>
      )}
    </div>
  );
}

/** A version's verdict: pass or fail per metric, with both values. */
export function GateVerdictView(props: {
  verdict: IGateVerdict | null | undefined;
  gated: boolean;
  onEvaluate?(): Promise<void>;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { verdict, trans } = props;
  const [busy, setBusy] = React.useState(false);
  if (!verdict && !props.gated) {
    return null;
  }
  const evaluate = async () => {
    setBusy(true);
    try {
      await props.onEvaluate?.();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div
      className="jp-mlops-gate-verdict"
      data-verdict={verdict ? verdict.verdict : 'none'}
    >
      {verdict ? (
        <>
          <span
            className={`jp-mlops-chip jp-mlops-verdict-${verdict.verdict}`}
            title={trans.__('Evaluation run %1', verdict.run_id)}
          >
            {verdict.verdict === 'pass'
              ? trans.__('gate passed')
              : trans.__('gate failed')}
          </span>
          <table className="jp-mlops-verdict-table">
            <thead>
              <tr>
                <th>{trans.__('Metric')}</th>
                <th>{trans.__('This version')}</th>
                <th>
                  {verdict.champion
                    ? trans.__('%1 (v%2)', verdict.alias, verdict.champion)
                    : verdict.alias}
                </th>
                <th />
              </tr>
            </thead>
            <tbody>
              {verdict.metrics.map(m => (
                <tr
                  key={m.metric}
                  data-metric={m.metric}
                  data-passed={m.passed ? 'true' : 'false'}
                  title={m.reason ?? ''}
                >
                  <td>{m.metric}</td>
                  <td>
                    {m.candidate === null ? '—' : formatMetric(m.candidate)}
                  </td>
                  <td>
                    {m.champion === null ? '—' : formatMetric(m.champion)}
                  </td>
                  <td>{m.passed ? trans.__('pass') : trans.__('fail')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <span className="jp-mlops-muted">{trans.__('Not evaluated')}</span>
      )}
      {props.gated && props.onEvaluate && (
        <button
          className="jp-mlops-link jp-mlops-version-evaluate"
          disabled={busy}
          onClick={evaluate}
        >
          {busy ? trans.__('Evaluating…') : trans.__('Evaluate')}
        </button>
      )}
    </div>
  );
}

/**
 * A refused move of a gated alias: why, and a way past it with a reason
 * (recorded on the version, with who forced it).
 */
export function ForceMove(props: {
  message: string;
  alias: string;
  version: string;
  onForce(reason: string): Promise<void>;
  onCancel(): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [reason, setReason] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await props.onForce(reason.trim());
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="jp-mlops-gate-refused" role="alert" onSubmit={submit}>
      <div className="jp-mlops-error">{props.message}</div>
      <input
        className="jp-mlops-force-reason jp-mod-styled"
        value={reason}
        placeholder={trans.__(
          'why move %1 to v%2 anyway?',
          props.alias,
          props.version
        )}
        aria-label={trans.__('Reason')}
        onChange={event => setReason(event.target.value)}
      />
      <Button
        type="submit"
        small
        className="jp-mlops-force-submit"
        disabled={busy || reason.trim() === ''}
      >
        {trans.__('Force with reason')}
      </Button>{' '}
      <Button small minimal onClick={props.onCancel}>
        {trans.__('Cancel')}
      </Button>
    </form>
  );
}
