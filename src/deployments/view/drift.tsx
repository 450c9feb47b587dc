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
  IFeatureDrift,
  setDriftReference
} from '../../api/deployments';
import { errorMessage, formatMetric } from '../../format';
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
      if (report.verdict === 'no_reference') {
        widgets.push(
          ReactWidget.create(
            <ReferenceForm
              onSet={async reference => {
                await setDriftReference(name, reference, serverSettings);
                await this.load();
              }}
              trans={trans}
            />
          )
        );
      }
      const grid = new Panel();
      grid.addClass('jp-mlops-drift-features');
      // The prediction's card last, as `%mlops drift` shows its figure.
      const columns: IFeatureDrift[] = [
        ...report.features,
        ...(report.prediction ? [report.prediction] : [])
      ];
      const cards = await Promise.all(
        columns.map(async feature => {
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

/** The verdict's class: only a judged, undrifted report is green. */
const VERDICT_CLASS: Record<IDriftReport['verdict'], string> = {
  drifted: 'jp-mlops-error',
  stable: 'jp-mlops-success',
  no_reference: 'jp-mlops-warning',
  no_traffic: 'jp-mlops-muted',
  not_enough_data: 'jp-mlops-muted'
};

function verdictText(report: IDriftReport, trans: TranslationBundle): string {
  switch (report.verdict) {
    case 'drifted':
      return trans.__('Drifted: %1', report.drifted.join(', '));
    case 'stable':
      return trans.__('No feature drifted.');
    case 'no_reference':
      return trans.__('No reference: drift is not judged until one is set.');
    case 'no_traffic':
      return trans.__('No requests in this window: nothing to judge.');
    default:
      return trans.__(
        'Too few requests to judge (at least %1 needed).',
        report.thresholds.min_rows
      );
  }
}

function DriftSummary(props: {
  report: IDriftReport;
  trans: TranslationBundle;
}): JSX.Element {
  const { report, trans } = props;
  return (
    <div className="jp-mlops-drift-summary">
      <div className="jp-mlops-drift-compared">
        {trans.__(
          '%1 requests from %2 to %3 compared with %4 reference rows (%5), version %6. Drifted at PSI ≥ %7; judged from %8 requests.',
          report.window.rows,
          formatSeconds(report.window.start),
          formatSeconds(report.window.end),
          report.reference.rows,
          report.reference.detail
            ? `${report.reference.source}: ${report.reference.detail}`
            : report.reference.source,
          report.model_version,
          report.thresholds.psi,
          report.thresholds.min_rows
        )}
      </div>
      <div
        className={`${VERDICT_CLASS[report.verdict]} jp-mlops-drift-verdict`}
        data-verdict={report.verdict}
      >
        {verdictText(report, trans)}
      </div>
      {report.note && report.verdict !== 'no_reference' && (
        <div className="jp-mlops-muted">{report.note}</div>
      )}
    </div>
  );
}

/**
 * Where a deployment has no reference: set a file or a run's artifact, or
 * choose the first hour of traffic (never taken without asking).
 */
function ReferenceForm(props: {
  onSet(reference: string): Promise<void>;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [value, setValue] = React.useState('');
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const set = async (reference: string) => {
    setBusy(true);
    setError(null);
    try {
      await props.onSet(reference);
    } catch (reason) {
      setError(errorMessage(reason));
      setBusy(false);
    }
  };
  return (
    <form
      className="jp-mlops-drift-reference"
      onSubmit={event => {
        event.preventDefault();
        if (value.trim()) {
          void set(value.trim());
        }
      }}
    >
      <div className="jp-mlops-muted">
        {trans.__(
          "Compare with a file in the project, a run's artifact, or the training frame logged with %%track --log-input X on the model's run."
        )}
      </div>
      <input
        className="jp-mod-styled jp-mlops-drift-reference-input"
        aria-label={trans.__('Drift reference')}
        placeholder={trans.__('data/train.parquet or runs:/<run>/<path>')}
        value={value}
        disabled={busy}
        onChange={event => setValue(event.target.value)}
      />
      <button
        type="submit"
        className="jp-mod-styled jp-mod-accept jp-mlops-drift-reference-set"
        disabled={busy || !value.trim()}
      >
        {trans.__('Set reference')}
      </button>
      <button
        type="button"
        className="jp-mod-styled jp-mlops-drift-reference-baseline"
        disabled={busy}
        onClick={() => void set('baseline')}
      >
        {trans.__('Use the first hour of traffic')}
      </button>
      {error && (
        <div className="jp-mlops-error" role="alert">
          {error}
        </div>
      )}
    </form>
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
