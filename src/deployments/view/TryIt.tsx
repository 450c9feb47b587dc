import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { listModelVersions } from '../../api';
import { predict, ScoringPayload } from '../../api/deployments';
import { errorMessage } from '../../format';
import {
  exampleRow,
  IInputSchema,
  isNumericType,
  IVersionWithExample,
  parseSignatureInputs,
  scoringPayload
} from '../signature';
import { useDeploymentModel } from './header';
import { DeploymentModel } from './model';

const RAW_EXAMPLE = JSON.stringify(
  { dataframe_split: { columns: ['x'], data: [[0]] } },
  null,
  2
);

/**
 * A form generated from the served version's signature: one input per
 * column, prefilled from the input example when the registry gives one.
 * It posts one row to `predict` and shows the predictions. Without a
 * readable signature it takes a raw MLflow scoring payload.
 */
export function TryIt(props: {
  model: DeploymentModel;
  serverSettings: ServerConnection.ISettings;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, serverSettings, trans } = props;
  useDeploymentModel(model);
  const deployment = model.deployment;
  const modelName = deployment?.model_name ?? null;
  const modelVersion = deployment?.model_version ?? null;

  const [schema, setSchema] = React.useState<IInputSchema | null>(null);
  const [loaded, setLoaded] = React.useState(false);
  const [values, setValues] = React.useState<Record<string, string>>({});
  const [raw, setRaw] = React.useState(RAW_EXAMPLE);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const [predictions, setPredictions] = React.useState<unknown>(undefined);

  React.useEffect(() => {
    if (modelName === null || modelVersion === null) {
      return;
    }
    let stale = false;
    listModelVersions(modelName, serverSettings).then(
      versions => {
        if (stale) {
          return;
        }
        const version = versions.find(v => v.version === modelVersion) as
          IVersionWithExample | undefined;
        const parsed = parseSignatureInputs(version?.signature?.inputs);
        setSchema(parsed);
        if (parsed) {
          setValues(exampleRow(version?.input_example, parsed));
        }
        setLoaded(true);
      },
      () => {
        // No signature to build the form from: the raw payload still works.
        if (!stale) {
          setSchema(null);
          setLoaded(true);
        }
      }
    );
    return () => {
      stale = true;
    };
  }, [modelName, modelVersion, serverSettings]);

  if (deployment === null || !loaded) {
    return <div className="jp-mlops-muted">{trans.__('Loading…')}</div>;
  }

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    // The last answer goes at once: shown beside a new error it would read as this
    // input's prediction.
    setPredictions(undefined);
    let payload: ScoringPayload;
    try {
      payload = schema ? scoringPayload(schema, values) : JSON.parse(raw);
    } catch (reason) {
      setError(errorMessage(reason));
      return;
    }
    setBusy(true);
    try {
      const answer = await predict(deployment.name, payload, serverSettings);
      setPredictions(answer.predictions);
    } catch (reason) {
      setError(errorMessage(reason));
    } finally {
      setBusy(false);
    }
  };

  const ready = deployment.status === 'ready';
  return (
    <form className="jp-mlops-tryit" onSubmit={submit}>
      {schema ? (
        <div className="jp-mlops-tryit-fields">
          {schema.fields.map(field => (
            <label
              key={field.name}
              className="jp-mlops-tryit-field"
              data-field={field.name}
            >
              <span className="jp-mlops-tryit-name">
                {field.name}
                <span className="jp-mlops-muted"> {field.type}</span>
              </span>
              {field.type === 'boolean' ? (
                <select
                  className="jp-mod-styled"
                  value={values[field.name] ?? ''}
                  onChange={event =>
                    setValues({ ...values, [field.name]: event.target.value })
                  }
                >
                  <option value="" />
                  <option value="true">{trans.__('true')}</option>
                  <option value="false">{trans.__('false')}</option>
                </select>
              ) : (
                <input
                  className="jp-mod-styled"
                  type="text"
                  inputMode={isNumericType(field.type) ? 'decimal' : 'text'}
                  required={field.required}
                  value={values[field.name] ?? ''}
                  onChange={event =>
                    setValues({ ...values, [field.name]: event.target.value })
                  }
                />
              )}
            </label>
          ))}
        </div>
      ) : (
        <label className="jp-mlops-tryit-raw">
          <span className="jp-mlops-muted">
            {trans.__(
              'No signature to build a form from: an MLflow scoring payload (dataframe_split, dataframe_records, instances or inputs)'
            )}
          </span>
          <textarea
            className="jp-mod-styled"
            rows={6}
            value={raw}
            onChange={event => setRaw(event.target.value)}
          />
        </label>
      )}
      <div className="jp-mlops-view-actions">
        <Button
          type="submit"
          small
          className="jp-mlops-tryit-submit"
          disabled={busy || !ready}
          title={
            ready
              ? trans.__('Send this row to the deployment')
              : trans.__('The deployment is not ready')
          }
        >
          {busy ? trans.__('Predicting…') : trans.__('Predict')}
        </Button>
      </div>
      {error !== null && (
        <div className="jp-mlops-error jp-mlops-tryit-error" role="alert">
          {error}
        </div>
      )}
      {predictions !== undefined && (
        <Predictions predictions={predictions} trans={trans} />
      )}
    </form>
  );
}

function Predictions(props: {
  predictions: unknown;
  trans: TranslationBundle;
}): JSX.Element {
  const { predictions, trans } = props;
  const items = Array.isArray(predictions) ? predictions : [predictions];
  return (
    <div className="jp-mlops-tryit-result">
      <div className="jp-mlops-muted">{trans.__('Predictions')}</div>
      <ol className="jp-mlops-predictions">
        {items.map((item, index) => (
          <li key={index} className="jp-mlops-prediction">
            <code>
              {typeof item === 'string' ? item : JSON.stringify(item)}
            </code>
          </li>
        ))}
      </ol>
    </div>
  );
}
