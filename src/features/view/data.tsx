import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import {
  getFeatureSample,
  getFeatureUsage,
  IFeatureSample,
  IFeatureUsage
} from '../../api';
import { CommandIDs } from '../../commandIds';
import { errorMessage, formatMetric } from '../../format';

/** Rows the sample table asks for. */
export const SAMPLE_ROWS = 20;

function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatMetric(value);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function cellTitle(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** What `load` answers, fetched again whenever `load` changes. */
function useLoaded<T>(load: () => Promise<T>): [T | null, string | null] {
  const [value, setValue] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let stale = false;
    load().then(
      found => !stale && (setValue(found), setError(null)),
      reason => !stale && setError(errorMessage(reason))
    );
    return () => {
      stale = true;
    };
  }, [load]);
  return [value, error];
}

function Loading(props: {
  error: string | null;
  trans: TranslationBundle;
}): JSX.Element {
  return props.error !== null ? (
    <div className="jp-mlops-error" role="alert">
      {props.error}
    </div>
  ) : (
    <div className="jp-mlops-muted">{props.trans.__('Loading…')}</div>
  );
}

/** The view's newest rows by event time. */
export function SampleRows(props: {
  name: string;
  serverSettings: ServerConnection.ISettings;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, serverSettings, trans } = props;
  const load = React.useCallback(
    () => getFeatureSample(name, SAMPLE_ROWS, serverSettings),
    [name, serverSettings]
  );
  const [sample, error] = useLoaded<IFeatureSample>(load);
  if (sample === null) {
    return <Loading error={error} trans={trans} />;
  }
  if (sample.rows.length === 0) {
    return (
      <div className="jp-mlops-muted jp-mlops-feature-sample-empty">
        {trans.__('No rows ingested yet.')}
      </div>
    );
  }
  return (
    <div className="jp-mlops-feature-sample-scroll">
      <table className="jp-mlops-kv jp-mlops-feature-sample">
        <thead>
          <tr>
            {sample.columns.map(column => (
              <th key={column} data-column={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sample.rows.map((row, index) => (
            <tr key={index} data-row={index}>
              {row.map((value, column) => (
                <td
                  key={column}
                  title={value === null ? trans.__('null') : cellTitle(value)}
                  className={
                    value === null ? 'jp-mlops-feature-null' : undefined
                  }
                >
                  {value === null ? '∅' : cellText(value)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The runs that built training sets from the view, and the models they logged. */
export function FeatureUsage(props: {
  name: string;
  serverSettings: ServerConnection.ISettings;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, serverSettings, commands, trans } = props;
  const load = React.useCallback(
    () => getFeatureUsage(name, serverSettings),
    [name, serverSettings]
  );
  const [usage, error] = useLoaded<IFeatureUsage>(load);
  if (usage === null) {
    return <Loading error={error} trans={trans} />;
  }
  const openRun = (runId: string) =>
    void commands.execute(CommandIDs.openRun, { runId });
  if (usage.runs.length === 0) {
    return (
      <div className="jp-mlops-muted jp-mlops-feature-usage-empty">
        {trans.__(
          'No tracked run has built a training set from this view yet: runs that call get_historical_features while tracked are listed here.'
        )}
      </div>
    );
  }
  return (
    <div className="jp-mlops-feature-usage">
      <ul className="jp-mlops-feature-usage-runs">
        {usage.runs.map(run => (
          <li
            key={run.run_id}
            className="jp-mlops-feature-usage-run"
            data-run-id={run.run_id}
          >
            <button
              className="jp-mlops-link"
              title={trans.__('Open run %1', run.run_id)}
              onClick={() => openRun(run.run_id)}
            >
              {run.run_name || run.run_id}
            </button>
            <span className="jp-mlops-muted">{run.views}</span>
          </li>
        ))}
      </ul>
      {usage.models.length > 0 && (
        <ul className="jp-mlops-feature-usage-models">
          {usage.models.map(model => (
            <li
              key={`${model.name}/${model.version}`}
              className="jp-mlops-feature-usage-model"
              data-model={model.name}
              data-version={model.version}
            >
              <span className="jp-mlops-model-name">
                {trans.__('%1 version %2', model.name, model.version)}
              </span>
              <button
                className="jp-mlops-link"
                title={trans.__('Open source run %1', model.run_id)}
                onClick={() => openRun(model.run_id)}
              >
                {trans.__('run %1', model.run_id.slice(0, 8))}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
