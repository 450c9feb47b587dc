import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  HTMLSelect,
  ReactWidget,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

import {
  getDeploymentDrift,
  IDriftReport,
  IFeatureDrift
} from '../../api/deployments';
import { formatMetric } from '../../format';
import { createFigureWidget } from '../../views/figure';
import { formatSeconds } from '../parts';

/** The windows offered, in seconds. */
const WINDOWS = [3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600];

/**
 * Drift per feature of the requests served in a window against the
 * model's reference data, with the server's chart of each feature
 * (monitoring/charts.py) under its card.
 */
export class DriftPanel extends Panel {
  constructor(private _options: DriftPanel.IOptions) {
    super();
    this.addClass('jp-mlops-drift');
    const { trans } = _options;
    this._toolbar = ReactWidget.create(
      <DriftToolbar
        windows={WINDOWS}
        initial={this._window}
        onChange={seconds => {
          this._window = seconds;
          void this.load();
        }}
        onRefresh={() => void this.load()}
        trans={trans}
      />
    );
    this._toolbar.addClass('jp-mlops-drift-toolbar');
    this.addWidget(this._toolbar);
    this._body = new Panel();
    this._body.addClass('jp-mlops-drift-body');
    this.addWidget(this._body);
  }

  async load(): Promise<void> {
    const { name, serverSettings, rendermime, trans } = this._options;
    const request = ++this._request;
    let report: IDriftReport | null = null;
    let message: string | null = null;
    try {
      report = await getDeploymentDrift(name, this._window, serverSettings);
    } catch (reason) {
      message = reason instanceof Error ? reason.message : String(reason);
    }
    if (request !== this._request || this.isDisposed) {
      return;
    }
    const widgets: Widget[] = [];
    const figures: Widget[] = [];
    if (report === null) {
      widgets.push(textWidget('jp-mlops-muted', message ?? ''));
    } else {
      widgets.push(
        ReactWidget.create(<DriftSummary report={report} trans={trans} />)
      );
      const grid = new Panel();
      grid.addClass('jp-mlops-drift-features');
      const cards = await Promise.all(
        report.features.map(async feature => {
          const card = new Panel();
          card.addClass('jp-mlops-drift-feature');
          card.node.dataset.feature = feature.name;
          if (feature.drifted) {
            card.addClass('jp-mlops-drift-feature-drifted');
          }
          card.addWidget(
            ReactWidget.create(<DriftCard feature={feature} trans={trans} />)
          );
          if (feature.figure) {
            const figure = await createFigureWidget(
              rendermime,
              feature.figure,
              trans
            );
            figure.addClass('jp-mlops-drift-chart');
            card.addWidget(figure);
            figures.push(figure);
          }
          return card;
        })
      );
      cards.forEach(card => grid.addWidget(card));
      widgets.push(grid);
    }
    if (request !== this._request || this.isDisposed) {
      widgets.forEach(widget => widget.dispose());
      return;
    }
    while (this._body.widgets.length > 0) {
      this._body.widgets[0].dispose();
    }
    widgets.forEach(widget => this._body.addWidget(widget));
    // Drawn while detached, Plotly takes its default width: redraw.
    figures.forEach(figure => figure.update());
  }

  private _toolbar: Widget;
  private _body: Panel;
  private _window = WINDOWS[0];
  private _request = 0;
}

export namespace DriftPanel {
  export interface IOptions {
    name: string;
    rendermime: IRenderMimeRegistry | null;
    serverSettings: ServerConnection.ISettings;
    trans: TranslationBundle;
  }
}

function textWidget(className: string, content: string): Widget {
  const widget = new Widget();
  widget.addClass(className);
  widget.node.textContent = content;
  return widget;
}

function windowLabel(seconds: number, trans: TranslationBundle): string {
  if (seconds % (24 * 3600) === 0) {
    return trans._n('last day', 'last %1 days', seconds / (24 * 3600));
  }
  return trans._n('last hour', 'last %1 hours', seconds / 3600);
}

function DriftToolbar(props: {
  windows: number[];
  initial: number;
  onChange(seconds: number): void;
  onRefresh(): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [value, setValue] = React.useState(props.initial);
  return (
    <div className="jp-mlops-toolbar">
      <HTMLSelect
        className="jp-mlops-drift-window"
        aria-label={trans.__('Window')}
        value={value}
        onChange={event => {
          const seconds = Number(event.currentTarget.value);
          setValue(seconds);
          props.onChange(seconds);
        }}
        options={props.windows.map(seconds => ({
          value: seconds,
          label: windowLabel(seconds, trans)
        }))}
      />
      <ToolbarButtonComponent
        icon={refreshIcon}
        tooltip={trans.__('Compute drift again')}
        onClick={props.onRefresh}
      />
    </div>
  );
}

function DriftSummary(props: {
  report: IDriftReport;
  trans: TranslationBundle;
}): JSX.Element {
  const { report, trans } = props;
  return (
    <div className="jp-mlops-drift-summary">
      <div>
        {trans.__(
          '%1 requests from %2 to %3 against %4 reference rows (%5), version %6.',
          report.window.rows,
          formatSeconds(report.window.start),
          formatSeconds(report.window.end),
          report.reference.rows,
          report.reference.source,
          report.model_version
        )}
      </div>
      <div
        className={
          report.drifted.length
            ? 'jp-mlops-error jp-mlops-drift-verdict'
            : 'jp-mlops-success jp-mlops-drift-verdict'
        }
      >
        {report.drifted.length
          ? trans.__('Drifted: %1', report.drifted.join(', '))
          : trans.__('No feature drifted.')}
      </div>
    </div>
  );
}

function DriftCard(props: {
  feature: IFeatureDrift;
  trans: TranslationBundle;
}): JSX.Element {
  const { feature, trans } = props;
  const verdict =
    feature.drifted === null
      ? trans.__('not enough data')
      : feature.drifted
        ? trans.__('drifted')
        : trans.__('stable');
  return (
    <div className="jp-mlops-drift-card">
      <div className="jp-mlops-drift-card-head">
        <span className="jp-mlops-drift-name">{feature.name}</span>
        <span className="jp-mlops-muted">{feature.kind}</span>
        <span
          className="jp-mlops-chip jp-mlops-drift-badge"
          data-drifted={String(feature.drifted)}
        >
          {verdict}
        </span>
      </div>
      {/* A chart's subtitle gives these against the thresholds. */}
      {!feature.figure && (
        <div className="jp-mlops-drift-card-stats jp-mlops-muted">
          {trans.__('PSI %1', formatMetric(feature.psi) || '—')}
          {feature.test &&
            ` · ${feature.test} ${formatMetric(feature.statistic) || '—'}, p ${formatMetric(feature.p_value) || '—'}`}
        </div>
      )}
      {feature.note && <div className="jp-mlops-muted">{feature.note}</div>}
    </div>
  );
}
