import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  getDeployment,
  getTriggerHistory,
  IDeployment,
  IDeploymentEvent,
  IDeploymentMetrics,
  ITriggerFiring,
  listDeploymentEvents,
  promoteDeployment,
  rollbackDeployment,
  undeploy
} from '../../api/deployments';
import { errorMessage } from '../../format';
import { fetchMetrics, METRICS_INTERVAL, SERVING_STATUSES } from '../model';

/** Events fetched for the history. */
export const EVENT_LIMIT = 100;

export type DeploymentAction = 'promote' | 'rollback' | 'undeploy';

/**
 * One deployment, its request figures and its history, kept fresh every
 * 2 s while its page is on screen.
 */
export class DeploymentModel implements IDisposable {
  constructor(options: DeploymentModel.IOptions) {
    this.name = options.name;
    this._serverSettings = options.serverSettings;
    this._poll = new Poll({
      name: `jupyter-mlops:deployment:${options.name}`,
      factory: () => this.refresh(),
      frequency: { interval: METRICS_INTERVAL, backoff: true, max: 60 * 1000 },
      standby: () => !this._active || document.hidden
    });
  }

  readonly name: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }
  get deployment(): IDeployment | null {
    return this._deployment;
  }
  get metrics(): IDeploymentMetrics | null {
    return this._metrics;
  }
  get events(): ReadonlyArray<IDeploymentEvent> {
    return this._events;
  }
  /** The retraining trigger's firings, newest first (none without a trigger). */
  get firings(): ReadonlyArray<ITriggerFiring> {
    return this._firings;
  }
  get error(): string | null {
    return this._error;
  }
  /** The action on its way, if one is. */
  get busy(): DeploymentAction | null {
    return this._busy;
  }
  /** The last action's refusal (the server's message). */
  get actionError(): string | null {
    return this._actionError;
  }
  /** Settles once the first answer (or error) is in. */
  get ready(): Promise<void> {
    return this._ready;
  }

  async refresh(): Promise<void> {
    const settings = this._serverSettings;
    try {
      const [deployment, events] = await Promise.all([
        getDeployment(this.name, settings),
        listDeploymentEvents(this.name, EVENT_LIMIT, settings)
      ]);
      const metrics = SERVING_STATUSES.has(deployment.status)
        ? await fetchMetrics(this.name, settings)
        : null;
      // Only a deployment with a trigger has firings to show.
      const firings = deployment.spec?.trigger
        ? (await getTriggerHistory(this.name, settings)).firings
        : [];
      if (this.isDisposed) {
        return;
      }
      this._deployment = deployment;
      this._events = events;
      this._firings = firings;
      this._metrics = metrics;
      this._error = null;
      this._emit();
    } catch (reason) {
      if (!this.isDisposed) {
        this._error = errorMessage(reason);
        this._emit();
      }
      throw reason;
    } finally {
      this._resolveReady();
    }
  }

  /** Promote the candidate, roll it back, or stop serving. */
  async act(action: DeploymentAction): Promise<void> {
    const settings = this._serverSettings;
    this._busy = action;
    this._actionError = null;
    this._emit();
    try {
      const call =
        action === 'promote'
          ? promoteDeployment
          : action === 'rollback'
            ? rollbackDeployment
            : undeploy;
      this._deployment = await call(this.name, settings);
    } catch (reason) {
      this._actionError = errorMessage(reason);
    } finally {
      this._busy = null;
      this._emit();
    }
    void this._poll.refresh();
  }

  /** Whether the page is on screen; off screen the poll stands by. */
  setActive(active: boolean): void {
    this._active = active;
    if (active) {
      void this._poll.refresh();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this._resolveReady();
    Signal.clearData(this);
  }

  private _emit(): void {
    if (!this.isDisposed) {
      this._changed.emit();
    }
  }

  private _serverSettings: ServerConnection.ISettings;
  private _poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _active = false;
  private _deployment: IDeployment | null = null;
  private _metrics: IDeploymentMetrics | null = null;
  private _events: IDeploymentEvent[] = [];
  private _firings: ITriggerFiring[] = [];
  private _error: string | null = null;
  private _busy: DeploymentAction | null = null;
  private _actionError: string | null = null;
  private _resolveReady: () => void = () => undefined;
  private _ready = new Promise<void>(resolve => {
    this._resolveReady = resolve;
  });
}

export namespace DeploymentModel {
  export interface IOptions {
    name: string;
    serverSettings: ServerConnection.ISettings;
  }
}
