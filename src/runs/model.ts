import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IRunSummary, MLOpsApiError, searchRuns } from '../api';
import { errorMessage } from '../format';
import { StatusModel } from '../status';
import { ISort, orderByClause, runComparator } from './columns';
import { fetchLiveChanges, PAGE_SIZE } from './live';
import { appendPage, removeRuns, upsertRuns } from './merge';

/**
 * The Runs section's state: one experiment's runs, paged in as the list
 * scrolls, kept live by refetching only what can change.
 */
export class RunListModel implements IDisposable {
  constructor(options: RunListModel.IOptions) {
    this._serverSettings = options.serverSettings;
    this._poll = new Poll({
      name: 'jupyter-mlops:runs',
      factory: () => this.refreshLive(),
      frequency: StatusModel.frequency(options.refreshInterval),
      // A collapsed section or a hidden tab needs no fresh rows.
      standby: () => !this._active || document.hidden
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }
  get experimentId(): string | null {
    return this._experimentId;
  }
  get filter(): string {
    return this._filter;
  }
  /** The server-side sort; null for the default order (newest first). */
  get sort(): ISort | null {
    return this._sort;
  }
  get runs(): ReadonlyArray<IRunSummary> {
    return this._runs;
  }
  get selected(): ReadonlySet<string> {
    return this._selected;
  }
  /** True once the first page of the current query arrived. */
  get loaded(): boolean {
    return this._loaded;
  }
  get loading(): boolean {
    return this._loading;
  }
  get hasMore(): boolean {
    return this._nextPageToken !== null;
  }
  /** The server's message for a refused filter (400 on `filter`). */
  get filterError(): string | null {
    return this._filterError;
  }
  get error(): string | null {
    return this._error;
  }

  /**
   * List `experimentId`'s runs matching `filter`, from the first page. The
   * sort is kept within an experiment; another experiment starts unsorted.
   */
  async setQuery(experimentId: string, filter: string): Promise<void> {
    if (experimentId !== this._experimentId) {
      this._sort = null;
    }
    this._experimentId = experimentId;
    this._filter = filter.trim();
    this._selected = new Set();
    await this._restart();
  }

  /**
   * Sort by a column on the server (MLflow `order_by`), from the first page;
   * null goes back to the default order. The selection stays.
   */
  async setSort(sort: ISort | null): Promise<void> {
    this._sort = sort;
    await this._restart();
  }

  /** Fetch the next page, unless one is on its way or none is left. */
  async loadMore(): Promise<void> {
    if (this._loading || !this._loaded || this._nextPageToken === null) {
      return;
    }
    await this._fetchPage();
  }

  /**
   * Merge in what changed since the last refresh (see `fetchLiveChanges`);
   * never refetch the whole list.
   */
  async refreshLive(): Promise<void> {
    const experimentId = this._experimentId;
    const generation = this._generation;
    if (experimentId === null || !this._loaded) {
      return;
    }
    const { updates, deleted } = await fetchLiveChanges(
      experimentId,
      this._filter,
      this._runs,
      this._serverSettings
    );
    if (generation !== this._generation) {
      return;
    }
    this._runs = removeRuns(
      upsertRuns(this._runs, updates, this.hasMore, runComparator(this._sort)),
      deleted
    );
    this._changed.emit();
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

  setSelected(runId: string, selected: boolean): void {
    const next = new Set(this._selected);
    if (selected) {
      next.add(runId);
    } else {
      next.delete(runId);
    }
    this._selected = next;
    this._changed.emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _restart(): Promise<void> {
    this._generation++;
    this._runs = [];
    this._nextPageToken = null;
    this._loaded = false;
    this._loading = false;
    this._filterError = null;
    this._error = null;
    await this._fetchPage();
  }

  private async _fetchPage(): Promise<void> {
    const experimentId = this._experimentId;
    const generation = this._generation;
    if (experimentId === null) {
      return;
    }
    this._loading = true;
    this._changed.emit();
    try {
      const page = await searchRuns(
        experimentId,
        {
          filter: this._filter,
          orderBy: this._sort ? orderByClause(this._sort) : undefined,
          maxResults: PAGE_SIZE,
          pageToken: this._nextPageToken
        },
        this._serverSettings
      );
      if (generation !== this._generation) {
        return;
      }
      this._runs = appendPage(this._runs, page.runs);
      this._nextPageToken = page.next_page_token || null;
      this._loaded = true;
      this._error = null;
    } catch (reason) {
      if (generation !== this._generation) {
        return;
      }
      if (reason instanceof MLOpsApiError && reason.field === 'filter') {
        this._filterError = reason.message;
      } else {
        this._error = errorMessage(reason);
      }
    } finally {
      if (generation === this._generation) {
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  private _serverSettings: ServerConnection.ISettings;
  private _poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _active = false;
  private _generation = 0;
  private _experimentId: string | null = null;
  private _filter = '';
  private _sort: ISort | null = null;
  private _runs: IRunSummary[] = [];
  private _nextPageToken: string | null = null;
  private _loaded = false;
  private _loading = false;
  private _filterError: string | null = null;
  private _error: string | null = null;
  private _selected = new Set<string>();
}

export namespace RunListModel {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    /** Seconds between live refreshes. */
    refreshInterval: number;
  }
}
