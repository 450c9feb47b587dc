import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  createDeployment,
  DeploymentStrategyType,
  IDeployment,
  IDeploymentRequest
} from '../api/deployments';
import {
  inputClass,
  IRefusal,
  refusalOf,
  refusalText,
  SubmitDialog
} from '../components/SubmitDialog';
import { errorMessage } from '../format';

/** Deployment names: a letter, then up to 62 letters, digits, _ or -. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/** The model's name made into a valid deployment name. */
export function defaultDeploymentName(modelName: string): string {
  let name = modelName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[A-Za-z]/.test(name)) {
    name = `m-${name}`;
  }
  return name.slice(0, 63);
}

interface IFormState {
  name: string;
  strategy: DeploymentStrategyType;
  percent: string;
  /** The drift reference; empty: the training data the version's run logged. */
  reference: string;
}

/**
 * The dialog's body: the form, and the server's refusal (message, and the
 * field it names highlighted) when a deploy fails. The dialog stays open
 * until the server accepts.
 */
class DeployForm extends ReactWidget {
  constructor(
    private _options: {
      modelName: string;
      version: string;
      serverSettings: ServerConnection.ISettings;
      trans: TranslationBundle;
    }
  ) {
    super();
    this.addClass('jp-mlops-deploy-form');
    this._state = {
      name: defaultDeploymentName(_options.modelName),
      strategy: 'replace',
      percent: '10',
      reference: ''
    };
  }

  /** The deployment the server created; null until it did. */
  deployment: IDeployment | null = null;

  /** POST the spec; false (and the server's message shown) if refused. */
  async submit(): Promise<boolean> {
    const { modelName, version, serverSettings } = this._options;
    const { name, strategy, percent, reference } = this._state;
    const request: IDeploymentRequest = {
      name: name.trim(),
      model_uri: `models:/${modelName}/${version}`,
      strategy:
        strategy === 'canary'
          ? { type: strategy, percent: Number(percent) }
          : { type: strategy }
    };
    if (reference.trim()) {
      request.monitor = { reference: reference.trim() };
    }
    this._busy = true;
    this._error = null;
    this.update();
    try {
      this.deployment = await createDeployment(request, serverSettings);
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
    const { name, strategy, percent, reference } = this._state;
    const error = this._error;
    const set = (change: Partial<IFormState>) => {
      this._state = { ...this._state, ...change };
      this.update();
    };
    const invalid = (field: string) => inputClass(error, field);
    const nameValid = NAME_PATTERN.test(name.trim());
    return (
      <div className="jp-mlops-deploy-fields">
        <div className="jp-mlops-muted">
          {trans.__('Model %1, version %2', modelName, version)}
        </div>
        <label className="jp-mlops-deploy-field">
          <span>{trans.__('Deployment name')}</span>
          <input
            className={`${invalid('name')} jp-mlops-deploy-name`}
            value={name}
            disabled={this._busy}
            aria-invalid={!nameValid}
            onChange={event => set({ name: event.target.value })}
          />
        </label>
        {!nameValid && (
          <div className="jp-mlops-muted">
            {trans.__('A letter, then up to 62 letters, digits, _ or -.')}
          </div>
        )}
        <label className="jp-mlops-deploy-field">
          <span>{trans.__('Strategy')}</span>
          <HTMLSelect
            className={`${invalid('strategy')} jp-mlops-deploy-strategy`}
            value={strategy}
            disabled={this._busy}
            onChange={event =>
              set({
                strategy: event.currentTarget.value as DeploymentStrategyType
              })
            }
            options={[
              { value: 'replace', label: trans.__('Replace') },
              { value: 'canary', label: trans.__('Canary') },
              { value: 'shadow', label: trans.__('Shadow') },
              { value: 'blue_green', label: trans.__('Blue-green') }
            ]}
          />
        </label>
        {strategy === 'canary' && (
          <label className="jp-mlops-deploy-field">
            <span>{trans.__('Canary traffic (%)')}</span>
            <input
              className={`${invalid('strategy.percent')} jp-mlops-deploy-percent`}
              type="number"
              min={1}
              max={99}
              step="any"
              value={percent}
              disabled={this._busy}
              onChange={event => set({ percent: event.target.value })}
            />
          </label>
        )}
        <div className="jp-mlops-muted jp-mlops-deploy-hint">
          {strategyHint(strategy, trans)}
        </div>
        <label className="jp-mlops-deploy-field">
          <span>{trans.__('Drift reference')}</span>
          <input
            className={`${invalid('monitor')} jp-mlops-deploy-reference`}
            value={reference}
            disabled={this._busy}
            placeholder={trans.__(
              'data/train.parquet, runs:/<run>/<path>, baseline'
            )}
            onChange={event => set({ reference: event.target.value })}
          />
        </label>
        <div className="jp-mlops-muted jp-mlops-deploy-hint">
          {trans.__(
            "What drift compares requests with. Empty: the training data the version's run logged (with %%track --log-input or the feature store); baseline: the first hour of traffic."
          )}
        </div>
        {error !== null && (
          <div
            className="jp-mlops-error jp-mlops-deploy-error"
            role="alert"
            data-field={error.field ?? ''}
          >
            {refusalText(error)}
          </div>
        )}
        {this._busy && (
          <div className="jp-mlops-muted">{trans.__('Deploying…')}</div>
        )}
      </div>
    );
  }

  private _state: IFormState;
  private _busy = false;
  private _error: IRefusal | null = null;
}

function strategyHint(
  strategy: DeploymentStrategyType,
  trans: TranslationBundle
): string {
  switch (strategy) {
    case 'canary':
      return trans.__(
        'Under a name that serves already: this share of requests goes to the new version until it is promoted or rolled back.'
      );
    case 'shadow':
      return trans.__(
        'Under a name that serves already: the new version gets a copy of every request; its answers are only recorded.'
      );
    case 'blue_green':
      return trans.__(
        'Under a name that serves already: the new version starts beside the old one and takes all traffic at once when promoted.'
      );
    default:
      return trans.__(
        'The new version takes over as soon as it is ready (the old one, if any, serves until then).'
      );
  }
}

/**
 * Ask for a deployment name and strategy and deploy `version` of
 * `modelName`; resolves to the created deployment, or null if cancelled.
 */
export async function showDeployDialog(options: {
  modelName: string;
  version: string;
  serverSettings: ServerConnection.ISettings;
  trans: TranslationBundle;
}): Promise<IDeployment | null> {
  const form = new DeployForm(options);
  const dialog = new SubmitDialog({
    title: options.trans.__('Deploy model version'),
    body: form,
    cancelLabel: options.trans.__('Cancel'),
    okLabel: options.trans.__('Deploy'),
    focusNodeSelector: '.jp-mlops-deploy-name'
  });
  dialog.addClass('jp-mlops-deploy-dialog');
  const result = await dialog.launch();
  return result.button.accept ? form.deployment : null;
}
