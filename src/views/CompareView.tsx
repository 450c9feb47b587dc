import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { compareRuns, IComparison } from '../api';
import { errorMessage } from '../format';
import { DiffTable } from './DiffTable';
import { createFigureWidget } from './figure';

/** A section heading between the widgets of a Lumino panel view. */
export function heading(text: string): Widget {
  const widget = new Widget({ node: document.createElement('h2') });
  widget.addClass('jp-mlops-view-heading');
  widget.node.textContent = text;
  return widget;
}

/**
 * The main-area comparison of 2 to 20 runs: metric curves, a
 * parallel-coordinates plot and a params/metrics diff table.
 *
 * A Lumino panel rather than one React tree, so the Plotly renderers get
 * Lumino's resize messages and redraw when the tab is resized.
 */
export class CompareView extends Panel {
  constructor(options: CompareView.IOptions) {
    super();
    this.addClass('jp-mlops-compare');
    this.runIds = options.runIds.slice();
    this._options = options;
    this.ready = this._load();
  }

  readonly runIds: ReadonlyArray<string>;
  /** Settles once the figures and the table are in (or the error is). */
  readonly ready: Promise<void>;

  private async _load(): Promise<void> {
    const { rendermime, serverSettings, trans } = this._options;
    let comparison: IComparison;
    try {
      comparison = await compareRuns(this.runIds, serverSettings);
    } catch (reason) {
      const error = new Widget();
      error.addClass('jp-mlops-error');
      error.node.textContent = errorMessage(reason);
      this.addWidget(error);
      return;
    }
    const { curves, parallel } = comparison.figures;
    const [curvesWidget, parallelWidget] = await Promise.all([
      createFigureWidget(rendermime, curves, trans),
      createFigureWidget(rendermime, parallel, trans)
    ]);
    this.addWidget(heading(trans.__('Metric curves')));
    this.addWidget(curvesWidget);
    this.addWidget(heading(trans.__('Parallel coordinates')));
    this.addWidget(parallelWidget);
    this.addWidget(heading(trans.__('Parameters and metrics')));
    const table = ReactWidget.create(
      <DiffTable comparison={comparison} trans={trans} />
    );
    table.addClass('jp-mlops-diff-container');
    this.addWidget(table);
    // The figures were drawn while detached, at Plotly's default width: an
    // update request makes the renderer redraw them at the panel's width.
    curvesWidget.update();
    parallelWidget.update();
  }

  private _options: CompareView.IOptions;
}

export namespace CompareView {
  export interface IOptions {
    runIds: ReadonlyArray<string>;
    rendermime: IRenderMimeRegistry | null;
    serverSettings: ServerConnection.ISettings;
    trans: TranslationBundle;
  }
}
