import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IExecution } from '../api';
import { listFeatureServices } from '../api/features';
import { IScoreRequest, submitScoring } from '../api/scoring';
import {
  inputClass,
  IRefusal,
  refusalOf,
  refusalText,
  SubmitDialog
} from '../components/SubmitDialog';
import { errorMessage } from '../format';

/** What is scored: a file's rows, or entity rows joined to a feature service. */
type Source = 'file' | 'features';

interface IFormState {
  source: Source;
  input: string;
  featureService: string;
  entities: string;
  timestampField: string;
  output: string;
  batchRows: string;
}

/** A version's default output name: `<model>-v<version>`, made valid. */
export function defaultOutputName(modelName: string, version: string): string {
  const name = `${modelName}-v${version}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
  return name.replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || `v${version}`;
}

/**
 * The *Score a dataset…* form: the input (a file, or a feature service and a
 * file of entity rows), the output's name and the batch size; the server's
 * refusal shown with the field it names.
 */
class ScoreForm extends ReactWidget {
  constructor(
    private _options: {
      modelName: string;
      version: string;
      serverSettings: ServerConnection.ISettings;
      trans: TranslationBundle;
    }
  ) {
    super();
    this.addClass('jp-mlops-score-form');
    this._state = {
      source: 'file',
      input: '',
      featureService: '',
      entities: '',
      timestampField: '',
      output: defaultOutputName(_options.modelName, _options.version),
      batchRows: '100000'
    };
  }

  /** The feature services to choose from, listed when that choice is made. */
  private async _loadServices(): Promise<void> {
    if (this._services !== null) {
      return;
    }
    this._services = [];
    this._loading = true;
    try {
      const listed = await listFeatureServices(this._options.serverSettings);
      this._services = listed.map(service => service.name);
      if (this._state.featureService === '' && this._services.length > 0) {
        this._state = { ...this._state, featureService: this._services[0] };
      }
    } catch (reason) {
      this._services = null; // choosing the option again lists them again
      this._error = refusalOf(reason, errorMessage(reason));
    } finally {
      this._loading = false;
      this.update();
    }
  }

  /** The execution the server queued; null until it did. */
  execution: IExecution | null = null;

  async submit(): Promise<boolean> {
    const { modelName, version, serverSettings } = this._options;
    const { output, batchRows } = this._state;
    const rows = Number(batchRows);
    const request: IScoreRequest = {
      model: `models:/${modelName}/${version}`,
      input: this._input(),
      output: output.trim()
    };
    if (batchRows.trim() !== '') {
      // Not checked here: the server refuses a non-integer, naming the field.
      request.batch_rows = rows;
    }
    this._busy = true;
    this._error = null;
    this.update();
    try {
      const submitted = await submitScoring(request, serverSettings);
      this.execution = submitted.execution ?? null;
      return true;
    } catch (reason) {
      this._error = refusalOf(reason, errorMessage(reason));
      return false;
    } finally {
      this._busy = false;
      this.update();
    }
  }

  /** The request's `input`: a path, or the service and its entity rows. */
  private _input(): IScoreRequest['input'] {
    const { source, input, featureService, entities, timestampField } =
      this._state;
    if (source === 'file') {
      return input.trim();
    }
    const joined: IScoreRequest['input'] = {
      feature_service: featureService,
      entities: entities.trim()
    };
    return timestampField.trim() === ''
      ? joined
      : { ...joined, timestamp_field: timestampField.trim() };
  }

  protected render(): JSX.Element {
    const { modelName, version, trans } = this._options;
    const { source, input, featureService, entities, timestampField } =
      this._state;
    const { output, batchRows } = this._state;
    const error = this._error;
    const set = (change: Partial<IFormState>) => {
      this._state = { ...this._state, ...change };
      this.update();
    };
    const choose = (chosen: Source) => {
      if (chosen !== source) {
        this._error = null; // a refusal of the other input's fields
      }
      set({ source: chosen });
      if (chosen === 'features') {
        void this._loadServices();
      }
    };
    const invalid = (field: string) => inputClass(error, field);
    const services = this._services ?? [];
    return (
      <div className="jp-mlops-deploy-fields">
        <div className="jp-mlops-muted">
          {trans.__('Model %1, version %2', modelName, version)}
        </div>
        <div
          className="jp-mlops-score-source"
          role="radiogroup"
          aria-label={trans.__('What to score')}
        >
          <label>
            <input
              type="radio"
              name="jp-mlops-score-source"
              className="jp-mlops-score-source-file"
              checked={source === 'file'}
              disabled={this._busy}
              onChange={() => choose('file')}
            />
            {trans.__('a file')}
          </label>{' '}
          <label>
            <input
              type="radio"
              name="jp-mlops-score-source"
              className="jp-mlops-score-source-features"
              checked={source === 'features'}
              disabled={this._busy}
              onChange={() => choose('features')}
            />
            {trans.__('a feature service + entity file')}
          </label>
        </div>
        {source === 'file' ? (
          <>
            <label className="jp-mlops-deploy-field">
              <span>{trans.__('Input')}</span>
              <input
                className={`${invalid('input')} jp-mlops-score-input`}
                value={input}
                disabled={this._busy}
                placeholder={trans.__('data/customers.parquet')}
                onChange={event => set({ input: event.target.value })}
              />
            </label>
            <div className="jp-mlops-muted jp-mlops-deploy-hint">
              {trans.__(
                'A parquet or CSV file, or a folder of parts, relative to the server root.'
              )}
            </div>
          </>
        ) : (
          <>
            <label className="jp-mlops-deploy-field">
              <span>{trans.__('Feature service')}</span>
              <select
                className={`${invalid('input.feature_service')} jp-mlops-score-service`}
                value={featureService}
                disabled={this._busy}
                onChange={event => set({ featureService: event.target.value })}
              >
                {services.length === 0 && (
                  <option value="">
                    {this._loading
                      ? trans.__('Loading…')
                      : trans.__('No feature services')}
                  </option>
                )}
                {services.map(name => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            <label className="jp-mlops-deploy-field">
              <span>{trans.__('Entity file')}</span>
              <input
                className={`${invalid('input.entities')} jp-mlops-score-entities`}
                value={entities}
                disabled={this._busy}
                placeholder={trans.__('entities.parquet')}
                onChange={event => set({ entities: event.target.value })}
              />
            </label>
            <label className="jp-mlops-deploy-field">
              <span>{trans.__('Timestamp column')}</span>
              <input
                className={`${invalid('input.timestamp_field')} jp-mlops-score-timestamp`}
                value={timestampField}
                disabled={this._busy}
                placeholder={trans.__('event_timestamp')}
                onChange={event => set({ timestampField: event.target.value })}
              />
            </label>
            <div className="jp-mlops-muted jp-mlops-deploy-hint">
              {trans.__(
                "A parquet or CSV file of entity rows (the service's entity keys and a timestamp), relative to the server root: each batch is joined to the service's features as of each row's time."
              )}
            </div>
          </>
        )}
        <label className="jp-mlops-deploy-field">
          <span>{trans.__('Output name')}</span>
          <input
            className={`${invalid('output')} jp-mlops-score-output`}
            value={output}
            disabled={this._busy}
            onChange={event => set({ output: event.target.value })}
          />
        </label>
        <label className="jp-mlops-deploy-field">
          <span>{trans.__('Rows per batch')}</span>
          <input
            className={`${invalid('batch_rows')} jp-mlops-score-batch`}
            type="number"
            min={1}
            value={batchRows}
            disabled={this._busy}
            onChange={event => set({ batchRows: event.target.value })}
          />
        </label>
        <div className="jp-mlops-muted jp-mlops-deploy-hint">
          {trans.__(
            'Predictions are written beside the input (or entity) columns the model does not take, as .mlops/batch/<output>/<version>/; the job shows in the Jobs section.'
          )}
        </div>
        {error !== null && (
          <div
            className="jp-mlops-error jp-mlops-score-error"
            role="alert"
            data-field={error.field ?? ''}
          >
            {refusalText(error)}
          </div>
        )}
        {this._busy && (
          <div className="jp-mlops-muted">{trans.__('Submitting…')}</div>
        )}
      </div>
    );
  }

  private _state: IFormState;
  private _services: string[] | null = null;
  private _loading = false;
  private _busy = false;
  private _error: IRefusal | null = null;
}

/**
 * Ask for an input and an output name and queue a scoring job of `version`
 * of `modelName`; resolves to the queued execution, or null if cancelled.
 */
export async function showScoreDialog(options: {
  modelName: string;
  version: string;
  serverSettings: ServerConnection.ISettings;
  trans: TranslationBundle;
}): Promise<IExecution | null> {
  const form = new ScoreForm(options);
  const dialog = new SubmitDialog({
    title: options.trans.__('Score a dataset'),
    body: form,
    cancelLabel: options.trans.__('Cancel'),
    okLabel: options.trans.__('Score'),
    focusNodeSelector: '.jp-mlops-score-input'
  });
  dialog.addClass('jp-mlops-score-dialog');
  const result = await dialog.launch();
  return result.button.accept ? form.execution : null;
}
