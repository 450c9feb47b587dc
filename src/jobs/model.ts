import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ACTIVE_JOB_STATUSES,
  isActiveJob,
  cancelExecution,
  getExecution,
  IExecution,
  IJobDefinition,
  IJobSubmission,
  listExecutions,
  listJobDefinitions,
  MLOpsApiError,
  rerunExecution
} from '../api';
import { errorMessage } from '../format';
import { StatusModel } from '../status';
import {
  leftActive,
  removeExecutions,
  upsertDefinition,
  upsertExecutions
} from './merge';

/** Executions loaded at first, newest first; later ones arrive live. */
export const EXECUTION_LIMIT = 200;

/**
 * The Jobs section's state: scheduled definitions and executions, kept
 * live by fetching only the queued and running executions and the ones
 * that just left those statuses, never the whole list again.
 */
export class JobListModel implements IDisposable {
  constructor(options: JobListModel.IOptions) {
    this._serverSettings = options.serverSettings;
    this._poll = new Poll({
      name: 'jupyter-mlops:jobs',
      factory: () => this.refreshLive(),
      frequency: StatusModel.frequency(options.refreshInterval),
      // A hidden tab needs no fresh rows; a collapsed section only while no job it
      // knows is queued or running (their end is announced, section open or not).
      standby: () =>
        document.hidden ||
        (!this._active && !this._executions.some(e => isActiveJob(e.status)))
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  /** An execution this list saw queued or running has ended (any way). */
  get finished(): ISignal<this, IExecution> {
    return this._finished;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }
  get executions(): ReadonlyArray<IExecution> {
    return this._executions;
  }
  get definitions(): ReadonlyArray<IJobDefinition> {
    return this._definitions;
  }
  /** True once the first full load answered. */
  get loaded(): boolean {
    return this._loaded;
  }
  get error(): string | null {
    return this._error;
  }
  /** Executions with a cancel or re-run request on its way. */
  get pending(): ReadonlySet<string> {
    return this._pending;
  }

  /**
   * Load the newest executions and every definition from scratch (the
   * first time, and on the user's explicit reload).
   */
  async reload(): Promise<void> {
    const generation = ++this._generation;
    try {
      const [executions, definitions] = await Promise.all([
        listExecutions({ limit: EXECUTION_LIMIT }, this._serverSettings),
        listJobDefinitions(this._serverSettings)
      ]);
      if (generation !== this._generation) {
        return;
      }
      // Keep what was submitted while the list was on its way.
      const fetched = new Set(executions.map(execution => execution.id));
      this._executions = upsertExecutions(
        executions,
        this._executions.filter(execution => !fetched.has(execution.id))
      );
      const known = new Set(definitions.map(definition => definition.id));
      this._definitions = [
        ...this._definitions.filter(definition => !known.has(definition.id)),
        ...definitions
      ];
      this._loaded = true;
      this._error = null;
    } catch (reason) {
      if (generation === this._generation) {
        this._error = errorMessage(reason);
      }
    }
    this._emit();
  }

  /**
   * Merge in what changed since the last refresh: the executions queued or
   * running now (their status and progress move, and new ones appear), and
   * by id the loaded ones that were active and are not any more.
   */
  async refreshLive(): Promise<void> {
    if (!this._loaded) {
      return this.reload();
    }
    const generation = this._generation;
    const settings = this._serverSettings;
    try {
      const active = await listExecutions(
        { status: ACTIVE_JOB_STATUSES, limit: EXECUTION_LIMIT },
        settings
      );
      const stopped = leftActive(this._executions, active);
      const deleted: string[] = [];
      const changed = (
        await Promise.all(
          stopped.map(id =>
            getExecution(id, settings).catch(reason => {
              if (reason instanceof MLOpsApiError && reason.status === 404) {
                deleted.push(id);
                return null;
              }
              throw reason;
            })
          )
        )
      ).filter((execution): execution is IExecution => execution !== null);
      // A schedule that fired moved its next run: only then are the
      // definitions fetched again.
      const known = new Set(this._executions.map(execution => execution.id));
      const fired = active.some(
        execution =>
          execution.definition_id !== null && !known.has(execution.id)
      );
      const definitions = fired ? await listJobDefinitions(settings) : null;
      if (generation !== this._generation || this.isDisposed) {
        return;
      }
      const before = new Map(this._executions.map(e => [e.id, e.status]));
      this._executions = removeExecutions(
        upsertExecutions(this._executions, [...active, ...changed]),
        deleted
      );
      for (const execution of changed) {
        const was = before.get(execution.id);
        if (was && isActiveJob(was) && !isActiveJob(execution.status)) {
          this._finished.emit(execution);
        }
      }
      if (definitions !== null) {
        this._definitions = definitions;
      }
      this._error = null;
      this._emit();
    } catch (reason) {
      this._error = errorMessage(reason);
      this._emit();
      // Rethrow so the poll backs off while the server is failing.
      throw reason;
    }
  }

  /** Show what a job form (or another view) just created. */
  addSubmission(submission: IJobSubmission): void {
    const executions = [
      ...(submission.execution ? [submission.execution] : []),
      ...(submission.sweep?.executions ?? [])
    ];
    if (executions.length) {
      this._executions = upsertExecutions(this._executions, executions);
    }
    if (submission.definition) {
      this._definitions = upsertDefinition(
        this._definitions,
        submission.definition
      );
    }
    this._emit();
  }

  /** Cancel an execution; the server's message lands in `error`. */
  async cancel(executionId: string): Promise<void> {
    await this._act(executionId, async () => [
      await cancelExecution(executionId, this._serverSettings)
    ]);
  }

  /** Queue a new execution with the same spec; resolves to it. */
  async rerun(executionId: string): Promise<IExecution | null> {
    let created: IExecution | null = null;
    await this._act(executionId, async () => {
      created = await rerunExecution(executionId, this._serverSettings);
      return [created];
    });
    return created;
  }

  /** Whether the list is on screen; off screen the poll stands by. */
  setActive(active: boolean): void {
    this._active = active;
    if (active) {
      void this._poll.refresh();
    }
  }

  setInterval(seconds: number): void {
    this._poll.frequency = StatusModel.frequency(seconds);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _act(
    executionId: string,
    action: () => Promise<IExecution[]>
  ): Promise<void> {
    this._pending = new Set(this._pending).add(executionId);
    this._emit();
    try {
      const updates = await action();
      this._executions = upsertExecutions(this._executions, updates);
      this._error = null;
    } catch (reason) {
      this._error = errorMessage(reason);
      if (reason instanceof MLOpsApiError && reason.status === 409) {
        // It finished meanwhile: show how.
        await getExecution(executionId, this._serverSettings).then(
          fresh => {
            this._executions = upsertExecutions(this._executions, [fresh]);
          },
          () => undefined
        );
      }
    } finally {
      const pending = new Set(this._pending);
      pending.delete(executionId);
      this._pending = pending;
      this._emit();
    }
  }

  private _emit(): void {
    if (!this.isDisposed) {
      this._changed.emit();
    }
  }

  private _serverSettings: ServerConnection.ISettings;
  private _poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IExecution>(this);
  private _active = false;
  private _generation = 0;
  private _executions: IExecution[] = [];
  private _definitions: IJobDefinition[] = [];
  private _loaded = false;
  private _error: string | null = null;
  private _pending = new Set<string>();
}

export namespace JobListModel {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    /** Seconds between live refreshes. */
    refreshInterval: number;
  }
}
