import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { getMetricHistory, IMetricPoint, IPlotlyFigure } from '../api';
import { errorMessage } from '../format';
import { createFigureWidget } from './figure';

/** Charts drawn before "Show all": each is a Plotly plot, hundreds would crawl. */
const FIRST_CHARTS = 12;

/** What the charts' x axis counts: the logged step or the wall-clock time. */
export type MetricAxis = 'step' | 'time';

/** A Plotly figure of one metric's history against `axis`. */
export function metricFigure(
  key: string,
  points: ReadonlyArray<IMetricPoint>,
  axis: MetricAxis
): IPlotlyFigure {
  const sorted = [...points].sort((a, b) =>
    axis === 'step'
      ? a.step - b.step || a.timestamp - b.timestamp
      : a.timestamp - b.timestamp
  );
  return {
    data: [
      {
        type: 'scatter',
        mode: sorted.length > 1 ? 'lines+markers' : 'markers',
        name: key,
        x: sorted.map(point =>
          axis === 'step' ? point.step : new Date(point.timestamp).toISOString()
        ),
        // NaN and infinities come as null: a gap in the line.
        y: sorted.map(point => point.value)
      }
    ],
    layout: {
      title: { text: key },
      height: 260,
      margin: { l: 56, r: 16, t: 36, b: 40 },
      showlegend: false,
      xaxis: {
        title: { text: axis },
        type: axis === 'step' ? 'linear' : 'date'
      }
    }
  };
}

export interface IMetricChartsProps {
  runId: string;
  /** The run's metric keys: one chart each. */
  keys: ReadonlyArray<string>;
  rendermime: IRenderMimeRegistry | null;
  serverSettings: ServerConnection.ISettings;
  trans: TranslationBundle;
}

/**
 * One chart per metric with every logged point (not only the latest), and
 * a toggle for step or time on the x axis.
 */
export function MetricCharts(props: IMetricChartsProps): JSX.Element {
  const { runId, keys, rendermime, serverSettings, trans } = props;
  const [axis, setAxis] = React.useState<MetricAxis>('step');
  const [histories, setHistories] = React.useState<{
    [key: string]: IMetricPoint[];
  } | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [showAll, setShowAll] = React.useState(false);
  const shown = showAll ? keys : keys.slice(0, FIRST_CHARTS);
  const wanted = shown.join('\n');

  React.useEffect(() => {
    let cancelled = false;
    const load = async () => {
      try {
        const names = wanted ? wanted.split('\n') : [];
        const found = await Promise.all(
          names.map(
            async key =>
              [key, await getMetricHistory(runId, key, serverSettings)] as const
          )
        );
        if (!cancelled) {
          const byKey: { [key: string]: IMetricPoint[] } = {};
          for (const [key, points] of found) {
            byKey[key] = points;
          }
          setHistories(byKey);
          setError(null);
        }
      } catch (reason) {
        if (!cancelled) {
          setError(errorMessage(reason));
        }
      }
    };
    void load();
    return () => {
      cancelled = true;
    };
  }, [runId, wanted, serverSettings]);

  if (keys.length === 0) {
    return <div className="jp-mlops-muted">{trans.__('No metrics')}</div>;
  }
  return (
    <div className="jp-mlops-metric-charts">
      <div
        className="jp-mlops-metric-axis"
        role="group"
        aria-label={trans.__('X axis')}
      >
        <span className="jp-mlops-muted">{trans.__('X axis:')}</span>
        {(['step', 'time'] as const).map(value => (
          <button
            key={value}
            className="jp-mlops-metric-axis-button jp-mod-styled"
            data-axis={value}
            aria-pressed={axis === value}
            onClick={() => setAxis(value)}
          >
            {value === 'step' ? trans.__('Step') : trans.__('Time')}
          </button>
        ))}
      </div>
      {error !== null && (
        <div className="jp-mlops-error" role="alert">
          {error}
        </div>
      )}
      {histories === null && error === null && (
        <div className="jp-mlops-muted">{trans.__('Loading…')}</div>
      )}
      {histories !== null && (
        <div className="jp-mlops-metric-grid">
          {shown
            .filter(key => key in histories)
            .map(key => (
              <MetricChart
                key={key}
                name={key}
                points={histories[key]}
                axis={axis}
                rendermime={rendermime}
                trans={trans}
              />
            ))}
        </div>
      )}
      {shown.length < keys.length && (
        <button
          className="jp-mlops-metric-show-all jp-mlops-link"
          onClick={() => setShowAll(true)}
        >
          {trans.__('Show all %1 metrics', keys.length)}
        </button>
      )}
    </div>
  );
}

/** One metric's figure: a rendermime widget attached to a React-held node. */
function MetricChart(props: {
  name: string;
  points: ReadonlyArray<IMetricPoint>;
  axis: MetricAxis;
  rendermime: IRenderMimeRegistry | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, points, axis, rendermime, trans } = props;
  const host = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    let widget: Widget | null = null;
    let cancelled = false;
    const figure = metricFigure(name, points, axis);
    void createFigureWidget(rendermime, figure, trans).then(created => {
      if (cancelled || !host.current || !host.current.isConnected) {
        created.dispose();
        return;
      }
      widget = created;
      widget.addClass('jp-mlops-metric-chart');
      widget.node.dataset.axis = axis;
      Widget.attach(widget, host.current);
      // Drawn while detached, Plotly takes its default width: redraw.
      widget.update();
    });
    return () => {
      cancelled = true;
      if (widget) {
        if (widget.isAttached) {
          Widget.detach(widget);
        }
        widget.dispose();
      }
    };
  }, [name, points, axis, rendermime, trans]);
  return (
    <div className="jp-mlops-metric-chart-host" data-metric={name} ref={host} />
  );
}
