import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  DeploymentStatus,
  getDeploymentMetrics,
  IDeployment,
  IDeploymentMetrics,
  listDeployments
} from '../api/deployments';
import { errorMessage } from '../format';

/** Live figures refresh this often (ms) while they are on screen. */
export const METRICS_INTERVAL = 2000;

/** Statuses with a process that may be taking requests. */
export const SERVING_STATUSES: ReadonlySet<DeploymentStatus> = new Set([
  'starting',
  'ready',
  'stopping'
]);

/**
 * One deployment's request figures; null on a failure (none this time,
 * the next poll asks again).
 */
export async function fetchMetrics(
  name: string,
  settings: ServerConnection.ISettings
): Promise<IDeploymentMetrics | null> {
  try {
    return await getDeploymentMetrics(name, settings);
  } catch {
    return null;
  }
}

/**
 * The Deployments section's state: every deployment and, for those
 * serving, their request figures; polled every 2 s while on screen.
 */
export class DeploymentListModel implements IDisposable {
  constructor(options: DeploymentListModel.IOptions) {
    this._serverSettings = options.serverSettings;
    this._poll = new Poll({
      name: 'jupyter-mlops:deployments',
      factory: () => this.refresh(),
      frequency: {
        interval: options.interval ?? METRICS_INTERVAL,
        backoff: true,
        max: 60 * 1000
      },
      // A collapsed section or a hidden tab needs no fresh figures.
      standby: () => !this._active || document.hidden
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }
  get deployments(): ReadonlyArray<IDeployment> {
    return this._deployments;
  }
  /** Deployment name -> its figures (serving ones only). */
  get metrics(): ReadonlyMap<string, IDeploymentMetrics> {
    return this._metrics;
  }
  get loaded(): boolean {
    return this._loaded;
  }
  get error(): string | null {
    return this._error;
  }
  /** The row to highlight (the one just deployed); null for none. */
  get selected(): string | null {
    return this._selected;
  }

  select(name: string | null): void {
    this._selected = name;
    this._emit();
  }

  /** Fetch the list and the figures of the serving deployments. */
  async refresh(): Promise<void> {
    const settings = this._serverSettings;
    const generation = ++this._generation;
    try {
      const deployments = await listDeployments(settings);
      const serving = deployments.filter(d => SERVING_STATUSES.has(d.status));
      const answers = await Promise.all(
        serving.map(d => fetchMetrics(d.name, settings))
      );
      if (generation !== this._generation || this.isDisposed) {
        return;
      }
      const metrics = new Map<string, IDeploymentMetrics>();
      serving.forEach((d, i) => {
        const answer = answers[i];
        if (answer) {
          metrics.set(d.name, answer);
        }
      });
      this._deployments = deployments;
      this._metrics = metrics;
      this._loaded = true;
      this._error = null;
      this._emit();
    } catch (reason) {
      if (generation === this._generation && !this.isDisposed) {
        this._error = errorMessage(reason);
        this._emit();
      }
      // Rethrow so the poll backs off while the server is failing.
      throw reason;
    }
  }

  /** Show a deployment that was just created or changed, before the next tick. */
  upsert(deployment: IDeployment): void {
    const others = this._deployments.filter(d => d.name !== deployment.name);
    this._deployments = [...others, deployment].sort((a, b) =>
      a.name.localeCompare(b.name)
    );
    this._emit();
  }

  /** Whether the list is on screen; off screen the poll stands by. */
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
  private _generation = 0;
  private _deployments: IDeployment[] = [];
  private _metrics = new Map<string, IDeploymentMetrics>();
  private _loaded = false;
  private _error: string | null = null;
  private _selected: string | null = null;
}

export namespace DeploymentListModel {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    /** Ms between refreshes; METRICS_INTERVAL by default. */
    interval?: number;
  }
}
