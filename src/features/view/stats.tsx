import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { featureTimeMs, IFeatureStats, IFeatureViewStats } from '../../api';
import { formatMetric, formatTime } from '../../format';

/** How many rows, and over which span of event time, the stats cover. */
export function StatsSummary(props: {
  stats: IFeatureViewStats;
  trans: TranslationBundle;
}): JSX.Element {
  const { stats, trans } = props;
  return (
    <p className="jp-mlops-feature-stats-summary jp-mlops-muted">
      {trans._n(
        '%1 row, events from %2 to %3',
        '%1 rows, events from %2 to %3',
        stats.rows,
        formatTime(featureTimeMs(stats.first_event)),
        formatTime(featureTimeMs(stats.last_event))
      )}
    </p>
  );
}

function statValue(value: number | string | null | undefined): string {
  if (value === null || value === undefined) {
    return '—';
  }
  return typeof value === 'number' ? formatMetric(value) : value;
}

/**
 * One feature's numbers (count, nulls, distinct, range, mean, std) and,
 * for strings and booleans, its most frequent values. The histogram of a
 * number is a Plotly widget beside this one.
 */
export function FeatureStatsCard(props: {
  name: string;
  stats: IFeatureStats | undefined;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, stats, trans } = props;
  if (stats === undefined) {
    return (
      <div className="jp-mlops-feature-stat-head">
        <span className="jp-mlops-feature-stat-name">{name}</span>
        <span className="jp-mlops-muted">{trans.__('no statistics')}</span>
      </div>
    );
  }
  const numbers: [string, string, number | string | null | undefined][] = [
    ['count', trans.__('count'), stats.count],
    ['nulls', trans.__('nulls'), stats.nulls],
    ['distinct', trans.__('distinct (approx.)'), stats.distinct]
  ];
  if ('min' in stats) {
    numbers.push(['min', trans.__('min'), stats.min]);
    numbers.push(['max', trans.__('max'), stats.max]);
  }
  if ('mean' in stats) {
    numbers.push(['mean', trans.__('mean'), stats.mean]);
    numbers.push(['std', trans.__('std'), stats.std]);
  }
  return (
    <>
      <div className="jp-mlops-feature-stat-head">
        <span className="jp-mlops-feature-stat-name">{name}</span>
        <span className="jp-mlops-muted">{stats.dtype}</span>
      </div>
      <dl className="jp-mlops-feature-numbers">
        {numbers.map(([key, label, value]) => (
          <div key={key} className="jp-mlops-feature-number">
            <dt>{label}</dt>
            <dd data-stat={key} title={value === null ? '' : String(value)}>
              {statValue(value)}
            </dd>
          </div>
        ))}
      </dl>
      {stats.top !== undefined && (
        <table className="jp-mlops-kv jp-mlops-feature-top">
          <tbody>
            {stats.top.map(({ value, count }) => (
              <tr key={value} data-value={value}>
                <th scope="row">{value}</th>
                <td>{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
