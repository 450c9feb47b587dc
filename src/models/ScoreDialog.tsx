import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IExecution } from '../api';
import { IScoreRequest, submitScoring } from '../api/scoring';
import {
  inputClass,
  IRefusal,
  refusalOf,
  refusalText,
  SubmitDialog
} from '../components/SubmitDialog';
import { errorMessage } from '../format';

interface IFormState {
  input: string;
  output: string;
  batchRows: string;
}

/** A version's default output name: `<model>-v<version>`, made valid. */
export function defaultOutputName(modelName: string, version: string): string {
  const name = `${modelName}-v${version}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
  return name.replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || `v${version}`;
}

/**
 * The *Score a dataset…* form: the input, the output's name and the batch
 * size; the server's refusal shown with the field it names.
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
      input: '',
      output: defaultOutputName(_options.modelName, _options.version),
      batchRows: '100000'
    };
  }

  /** The execution the server queued; null until it did. */
  execution: IExecution | null = null;

  async submit(): Promise<boolean> {
    const { modelName, version, serverSettings } = this._options;
    const { input, output, batchRows } = this._state;
    const rows = Number(batchRows);
    const request: IScoreRequest = {
      model: `models:/${modelName}/${version}`,
      input: input.trim(),
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

  protected render(): JSX.Element {
    const { modelName, version, trans } = this._options;
    const { input, output, batchRows } = this._state;
    const error = this._error;
    const set = (change: Partial<IFormState>) => {
      this._state = { ...this._state, ...change };
      this.update();
    };
    const invalid = (field: string) => inputClass(error, field);
    return (
      <div className="jp-mlops-deploy-fields">
        <div className="jp-mlops-muted">
          {trans.__('Model %1, version %2', modelName, version)}
        </div>
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
            'Predictions are written beside the input columns the model does not take, as .mlops/batch/<output>/<version>/; the job shows in the Jobs section.'
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
