import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { getFeatureView, IFeatureViewDetail } from '../../api';
import { errorMessage } from '../../format';
import { heading } from '../../views/CompareView';
import { createFigureWidget } from '../../views/figure';
import { FeatureUsage, SampleRows } from './data';
import { FeatureViewHeader } from './header';
import { RulesTable, RuleWarnings } from './rules';
import { SchemaTable, VersionHistory } from './schema';
import { FeatureStatsCard, StatsSummary } from './stats';

function text(className: string, content: string): Widget {
  const widget = new Widget();
  widget.addClass(className);
  widget.node.textContent = content;
  return widget;
}

/**
 * One feature view in the main area: its facts and freshness, schema,
 * per-feature statistics with a Plotly histogram for each number, version
 * history, newest rows and the runs and models that used it.
 *
 * A Lumino panel rather than one React tree, as the comparison view is, so
 * the Plotly renderers get Lumino's resize messages.
 */
export class FeatureViewView extends Panel {
  constructor(options: FeatureViewView.IOptions) {
    super();
    this.addClass('jp-mlops-feature-view');
    this.name = options.name;
    this.node.dataset.view = options.name;
    this._options = options;
    const { trans } = options;
    this.title.label = trans.__('Feature view %1', this.name);
    this.title.caption = trans.__('Feature view %1', this.name);
    this.ready = this.load(options.version ?? null);
  }

  readonly name: string;
  /** Settles once the first load is in (or its error is). */
  readonly ready: Promise<void>;

  /** The version shown; null until loaded. */
  get version(): number | null {
    return this._detail?.version ?? null;
  }

  /** Load and show `version` (null: the newest). */
  async load(version: number | null): Promise<void> {
    const { serverSettings } = this._options;
    const request = ++this._request;
    let detail: IFeatureViewDetail;
    try {
      detail = await getFeatureView(this.name, version, serverSettings);
    } catch (reason) {
      if (request === this._request && !this.isDisposed) {
        this._clear();
        this.addWidget(text('jp-mlops-error', errorMessage(reason)));
      }
      return;
    }
    if (request !== this._request || this.isDisposed) {
      return;
    }
    const { widgets, figures } = await this._build(detail);
    // A newer request may have started while the figures rendered.
    if (request !== this._request || this.isDisposed) {
      widgets.forEach(widget => widget.dispose());
      return;
    }
    this._clear();
    this._detail = detail;
    this.node.dataset.version = String(detail.version);
    widgets.forEach(widget => this.addWidget(widget));
    // Figures drawn while detached have Plotly's default width: an update
    // makes the renderer redraw them at their card's width.
    figures.forEach(figure => figure.update());
  }

  private async _build(
    detail: IFeatureViewDetail
  ): Promise<{ widgets: Widget[]; figures: Widget[] }> {
    const { commands, rendermime, serverSettings, trans } = this._options;
    const onShowVersion = (version: number | null) => void this.load(version);
    const react = (element: JSX.Element, className: string) => {
      const widget = ReactWidget.create(element);
      widget.addClass(className);
      return widget;
    };

    const widgets: Widget[] = [
      react(
        <FeatureViewHeader
          detail={detail}
          onShowVersion={onShowVersion}
          commands={commands}
          trans={trans}
        />,
        'jp-mlops-feature-view-top'
      ),
      heading(trans.__('Schema')),
      react(
        <SchemaTable detail={detail} trans={trans} />,
        'jp-mlops-feature-schema-container'
      ),
      heading(trans.__('Statistics'))
    ];

    const { stats } = detail;
    const figures: Widget[] = [];
    if (stats === null) {
      widgets.push(
        text(
          'jp-mlops-muted',
          trans.__('No statistics: no rows were ingested into this version.')
        )
      );
    } else {
      widgets.push(
        react(
          <StatsSummary stats={stats} trans={trans} />,
          'jp-mlops-feature-stats-summary-container'
        )
      );
      const grid = new Panel();
      grid.addClass('jp-mlops-feature-stats');
      const cards = await Promise.all(
        detail.schema.map(async field => {
          const card = new Panel();
          card.addClass('jp-mlops-feature-stat');
          card.node.dataset.feature = field.name;
          const featureStats = stats.features[field.name];
          card.addWidget(
            ReactWidget.create(
              <FeatureStatsCard
                name={field.name}
                stats={featureStats}
                trans={trans}
              />
            )
          );
          // Built by the server beside the bins it computed (features/charts.py).
          if (featureStats?.figure) {
            const figure = await createFigureWidget(
              rendermime,
              featureStats.figure,
              trans
            );
            figure.addClass('jp-mlops-feature-histogram');
            figure.node.dataset.feature = field.name;
            card.addWidget(figure);
            figures.push(figure);
          }
          return card;
        })
      );
      cards.forEach(card => grid.addWidget(card));
      widgets.push(grid);
    }

    // Data rules: what each batch must satisfy, and how batches fared over time.
    const { quality } = detail;
    widgets.push(
      heading(trans.__('Data rules')),
      react(
        <RulesTable quality={quality} trans={trans} />,
        'jp-mlops-feature-rules-container'
      )
    );
    if (quality.figure) {
      const chart = await createFigureWidget(rendermime, quality.figure, trans);
      chart.addClass('jp-mlops-feature-quality-chart');
      widgets.push(chart);
      figures.push(chart);
    }
    if (quality.rules.length > 0 || quality.warnings.length > 0) {
      widgets.push(
        react(
          <RuleWarnings quality={quality} trans={trans} />,
          'jp-mlops-feature-warnings-container'
        )
      );
    }

    widgets.push(
      heading(trans.__('Versions')),
      react(
        <VersionHistory
          detail={detail}
          onShowVersion={onShowVersion}
          trans={trans}
        />,
        'jp-mlops-feature-versions-container'
      ),
      heading(trans.__('Newest rows')),
      react(
        <SampleRows
          name={detail.name}
          serverSettings={serverSettings}
          trans={trans}
        />,
        'jp-mlops-feature-sample-container'
      ),
      heading(trans.__('Used by')),
      react(
        <FeatureUsage
          name={detail.name}
          serverSettings={serverSettings}
          commands={commands}
          trans={trans}
        />,
        'jp-mlops-feature-usage-container'
      )
    );
    return { widgets, figures };
  }

  private _clear(): void {
    while (this.widgets.length > 0) {
      this.widgets[0].dispose();
    }
  }

  private _options: FeatureViewView.IOptions;
  private _detail: IFeatureViewDetail | null = null;
  private _request = 0;
}

export namespace FeatureViewView {
  export interface IOptions {
    name: string;
    /** The version to show first; the newest when left out. */
    version?: number | null;
    rendermime: IRenderMimeRegistry | null;
    serverSettings: ServerConnection.ISettings;
    /** To insert snippets and open runs. */
    commands: CommandRegistry;
    trans: TranslationBundle;
  }
}
