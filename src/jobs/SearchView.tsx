import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { IPlotlyFigure } from '../api';
import { cancelSearch, getSearch, ISearchView } from '../api/tuning';
import { CommandIDs } from '../commandIds';
import { errorMessage, formatMetric } from '../format';
import { createFigureWidget } from '../views/figure';

/** Seconds between refreshes while the search runs. */
const POLL_MS = 3000;
const FIGURES: ReadonlyArray<string> = ['history', 'importances', 'parallel'];

/** The runs of the best `count` complete trials, best first. */
export function bestRuns(search: ISearchView, count: number): string[] {
  const sign = (search.search as any).direction === 'maximize' ? -1 : 1;
  return search.trials
    .filter(trial => trial.state === 'complete' && trial.run_id)
    .sort((a, b) => sign * ((a.value ?? 0) - (b.value ?? 0)))
    .slice(0, count)
    .map(trial => trial.run_id as string);
}

/**
 * A hyperparameter search: its counts and best trial, Optuna's optimization
 * history, parameter importances and parallel coordinates, and its trials;
 * refreshed while it runs.
 */
export class SearchView extends Panel {
  constructor(private _options: SearchView.IOptions) {
    super();
    this.searchId = _options.searchId;
    this.addClass('jp-mlops-search-view');
    this.node.dataset.searchId = this.searchId;
    this.title.label = _options.trans.__('Search %1', this.searchId);
    this._summary = new SearchSummary(_options, () => void this._cancel());
    this.addWidget(this._summary);
    this._figures.addClass('jp-mlops-search-figures');
    this.addWidget(this._figures);
    void this._refresh();
  }

  readonly searchId: string;

  dispose(): void {
    window.clearTimeout(this._timer);
    super.dispose();
  }

  private async _refresh(): Promise<void> {
    const { serverSettings } = this._options;
    let search: ISearchView;
    try {
      search = await getSearch(this.searchId, true, serverSettings);
    } catch (reason) {
      this._summary.present(null, errorMessage(reason));
      return;
    }
    if (this.isDisposed) {
      return;
    }
    this._summary.present(search, null);
    await this._draw(search);
    if (search.status === 'running' || search.status === 'cancelling') {
      this._timer = window.setTimeout(() => void this._refresh(), POLL_MS);
    }
  }

  /** Optuna's figures, redrawn when the trials done changed. */
  private async _draw(search: ISearchView): Promise<void> {
    const done = search.counts.complete + search.counts.pruned;
    if (done === this._drawnAt) {
      return;
    }
    this._drawnAt = done;
    const { rendermime, trans } = this._options;
    const figures = (search.figures ?? {}) as Record<string, IPlotlyFigure>;
    const widgets: Widget[] = [];
    for (const name of FIGURES) {
      if (figures[name]) {
        const widget = await createFigureWidget(
          rendermime,
          figures[name],
          trans
        );
        widget.node.dataset.figure = name;
        widgets.push(widget);
      }
    }
    for (const old of [...this._figures.widgets]) {
      old.dispose();
    }
    widgets.forEach(widget => this._figures.addWidget(widget));
  }

  private async _cancel(): Promise<void> {
    try {
      await cancelSearch(this.searchId, this._options.serverSettings);
    } catch (reason) {
      this._summary.present(this._summary.search, errorMessage(reason));
      return;
    }
    window.clearTimeout(this._timer);
    void this._refresh();
  }

  private _summary: SearchSummary;
  private _figures = new Panel();
  private _drawnAt = -1;
  private _timer = 0;
}

export namespace SearchView {
  export interface IOptions {
    searchId: string;
    commands: CommandRegistry;
    rendermime: IRenderMimeRegistry | null;
    serverSettings: ServerConnection.ISettings;
    trans: TranslationBundle;
  }
}

class SearchSummary extends ReactWidget {
  constructor(
    private _options: SearchView.IOptions,
    private _onCancel: () => void
  ) {
    super();
    this.addClass('jp-mlops-search-summary');
  }

  search: ISearchView | null = null;

  present(search: ISearchView | null, error: string | null): void {
    this.search = search;
    this._error = error;
    this.update();
  }

  protected render(): JSX.Element {
    const { commands, trans } = this._options;
    const search = this.search;
    const settings = (search?.search ?? {}) as any;
    const compare = search ? bestRuns(search, 5) : [];
    return (
      <div>
        {this._error !== null && (
          <div className="jp-mlops-error" role="alert">
            {this._error}
          </div>
        )}
        {search === null ? (
          this._error === null && (
            <div className="jp-mlops-muted">{trans.__('Loading…')}</div>
          )
        ) : (
          <>
            <h2>
              {trans.__('Search %1 of %2', search.id, search.notebook)}{' '}
              <span
                className="jp-mlops-search-status"
                data-status={search.status}
              >
                {search.status}
              </span>
            </h2>
            <div className="jp-mlops-search-counts">
              {trans.__(
                '%1 of %2 trials done · %3 running · %4 pruned · %5 failed',
                search.counts.complete,
                settings.trials,
                search.counts.running,
                search.counts.pruned,
                search.counts.fail
              )}
              {' · '}
              {trans.__(
                '%1 %2, %3 sampler',
                settings.direction,
                settings.metric,
                settings.sampler
              )}
            </div>
            <div className="jp-mlops-search-best">
              {search.best
                ? trans.__(
                    'Best %1 = %2 (trial %3): %4',
                    settings.metric,
                    formatMetric(search.best.value),
                    search.best.trial,
                    JSON.stringify(search.best.params)
                  )
                : trans.__('No trial has finished yet.')}
            </div>
            <div className="jp-mlops-toolbar">
              <button
                className="jp-mod-styled jp-mlops-search-compare"
                disabled={compare.length < 2}
                title={trans.__('Compare the runs of the best 5 trials')}
                onClick={() =>
                  void commands.execute(CommandIDs.compareRuns, {
                    runIds: compare
                  })
                }
              >
                {trans.__('Compare best 5')}
              </button>
              {search.status === 'running' && (
                <button
                  className="jp-mod-styled jp-mlops-search-cancel"
                  onClick={this._onCancel}
                >
                  {trans.__('Cancel search')}
                </button>
              )}
            </div>
            <table className="jp-mlops-search-trials">
              <thead>
                <tr>
                  <th>{trans.__('Trial')}</th>
                  <th>{trans.__('State')}</th>
                  <th>{settings.metric}</th>
                  <th>{trans.__('Parameters')}</th>
                </tr>
              </thead>
              <tbody>
                {search.trials.map(trial => (
                  <tr
                    key={trial.number}
                    data-trial={trial.number}
                    data-state={trial.state}
                  >
                    <td>
                      {trial.run_id ? (
                        <button
                          className="jp-mlops-link"
                          onClick={() =>
                            void commands.execute(CommandIDs.openRun, {
                              runId: trial.run_id
                            })
                          }
                        >
                          {trial.number}
                        </button>
                      ) : (
                        trial.number
                      )}
                    </td>
                    <td>{trial.state}</td>
                    <td>
                      {trial.value === null ? '' : formatMetric(trial.value)}
                    </td>
                    <td>{JSON.stringify(trial.params)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    );
  }

  private _error: string | null = null;
}
