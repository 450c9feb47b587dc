import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel, VDomRenderer } from '@jupyterlab/ui-components';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { getStatus, IExecutorFeatures, IStatus } from './api';
import { EVERY_FEATURE, executorText, sameFeatures } from './executor';

const SECOND = 1000;

/**
 * Holds the last `/mlops/api/status` answer and keeps it fresh.
 */
export class StatusModel extends VDomModel {
  constructor(options: StatusModel.IOptions) {
    super();
    this._serverSettings = options.serverSettings;
    this._poll = new Poll({
      name: 'jupyter-mlops:status',
      factory: () => this._fetch(),
      frequency: StatusModel.frequency(options.refreshInterval),
      // No point hitting the server for a tab nobody looks at.
      standby: 'when-hidden'
    });
  }

  get status(): IStatus | null {
    return this._status;
  }

  /** The server's message for the last failed fetch, if it failed. */
  get error(): string | null {
    return this._error;
  }

  /**
   * What the job executor can do, for the views that offer only that:
   * everything until the first answer (and the last known after a failed
   * fetch). The same object until it changes, so memoized rows keep.
   */
  get features(): Readonly<IExecutorFeatures> {
    return this._features;
  }

  /** Emitted when `features` changes (the first answer, or another executor). */
  get featuresChanged(): ISignal<this, Readonly<IExecutorFeatures>> {
    return this._featuresChanged;
  }

  /** True until the first answer (good or bad) arrives. */
  get loading(): boolean {
    return this._status === null && this._error === null;
  }

  /**
   * Fetch now, outside the schedule.
   */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  /**
   * Change the polling interval.
   */
  setInterval(seconds: number): void {
    this._poll.frequency = StatusModel.frequency(seconds);
    // A new frequency only applies to ticks scheduled after it, so without
    // this a change from 3600 s to 5 s would wait out the old hour.
    void this._poll.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    super.dispose();
  }

  private async _fetch(): Promise<void> {
    try {
      this._status = await getStatus(this._serverSettings);
      this._error = null;
      this._setFeatures(this._status.executor.features);
    } catch (reason) {
      this._error = reason instanceof Error ? reason.message : String(reason);
      // Rethrow so the poll backs off while the server is failing.
      throw reason;
    } finally {
      if (!this.isDisposed) {
        this.stateChanged.emit();
      }
    }
  }

  private _setFeatures(features: IExecutorFeatures): void {
    if (!this.isDisposed && !sameFeatures(features, this._features)) {
      this._features = features;
      this._featuresChanged.emit(features);
    }
  }

  private _serverSettings: ServerConnection.ISettings;
  private _poll: Poll;
  private _status: IStatus | null = null;
  private _error: string | null = null;
  private _features: Readonly<IExecutorFeatures> = EVERY_FEATURE;
  private _featuresChanged = new Signal<this, Readonly<IExecutorFeatures>>(
    this
  );
}

export namespace StatusModel {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    /** Seconds between refreshes. */
    refreshInterval: number;
  }

  export function frequency(seconds: number): IPoll.Frequency {
    const interval = Math.max(1, seconds) * SECOND;
    // Back off up to a minute (or the interval, if longer) on failures.
    return { interval, backoff: true, max: Math.max(interval, 60 * SECOND) };
  }
}

function Field(props: {
  name: keyof IStatus;
  label: string;
  value: string;
}): JSX.Element {
  return (
    <>
      <dt className="jp-mlops-status-label">{props.label}</dt>
      {/* Paths and URIs get cut off in a narrow sidebar; the tooltip has them whole. */}
      <dd
        className="jp-mlops-status-value"
        data-mlops-field={props.name}
        title={props.value}
      >
        {props.value}
      </dd>
    </>
  );
}

function agentText(agent: IStatus['agent']): string {
  return agent.holder ? `${agent.state} (${agent.holder})` : agent.state;
}

/**
 * The sidebar's header: server version, locations and agent state.
 */
export class StatusHeader extends VDomRenderer<StatusModel> {
  constructor(model: StatusModel, trans: TranslationBundle) {
    super(model);
    this._trans = trans;
    this.addClass('jp-mlops-status');
  }

  protected render(): JSX.Element {
    const { status, error, loading } = this.model;
    const trans = this._trans;
    if (loading) {
      return (
        <div className="jp-mlops-status-loading">{trans.__('Loading…')}</div>
      );
    }
    return (
      <>
        {error !== null && (
          <div className="jp-mlops-error" role="alert">
            {error}
          </div>
        )}
        {status !== null && (
          <dl className="jp-mlops-status-fields">
            <Field
              name="version"
              label={trans.__('Version')}
              value={status.version}
            />
            <Field name="home" label={trans.__('Home')} value={status.home} />
            <Field
              name="tracking_uri"
              label={trans.__('Tracking')}
              value={status.tracking_uri}
            />
            <Field
              name="state_url"
              label={trans.__('State')}
              value={status.state_url}
            />
            <Field
              name="executor"
              label={trans.__('Executor')}
              value={executorText(status.executor, trans)}
            />
            <Field
              name="agent"
              label={trans.__('Agent')}
              value={agentText(status.agent)}
            />
          </dl>
        )}
      </>
    );
  }

  private _trans: TranslationBundle;
}
