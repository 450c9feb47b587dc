import { Time } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import {
  featureTimeMs,
  getFeatureSample,
  getFeatureUsage,
  IFeatureSample,
  IFeatureStats,
  IFeatureUsage,
  IFeatureViewDetail,
  IFeatureViewStats,
  IFeatureViewVersion
} from '../api';
import { CommandIDs } from '../commandIds';
import { SnippetButton } from '../features/SnippetButton';
import { errorMessage, formatMetric, formatTime } from '../format';
import { formatDuration } from '../jobs/format';

/** Rows the sample table asks for. */
export const SAMPLE_ROWS = 20;

const DAY = 86400;

function formatTtl(seconds: number | null, trans: TranslationBundle): string {
  if (seconds === null) {
    return trans.__('none (values never expire)');
  }
  if (seconds >= DAY && seconds % DAY === 0) {
    return trans._n('%1 day', '%1 days', seconds / DAY);
  }
  return formatDuration(seconds, trans);
}

/** A time as the locale's date and time, with how long ago after it. */
function TimeAgo(props: { ms: number | null; never: string }): JSX.Element {
  if (props.ms === null) {
    return <span className="jp-mlops-muted">{props.never}</span>;
  }
  const date = new Date(props.ms);
  return (
    <span title={date.toISOString()}>
      {formatTime(props.ms)}{' '}
      <span className="jp-mlops-muted">({Time.formatHuman(date)})</span>
    </span>
  );
}

/**
 * The view's title, actions and facts: owner, entities, tags, source,
 * TTL, and freshness (latest event, last ingestion, online copy).
 */
export function FeatureViewHeader(props: {
  detail: IFeatureViewDetail;
  /** Reload the view at `version` (null: the newest). */
  onShowVersion(version: number | null): void;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { detail, commands, trans } = props;
  const newest = detail.versions[0]?.version ?? detail.version;
  const { freshness } = detail;
  const materialized = freshness.materialized;
  const tags = Object.keys(detail.tags).sort();
  const source = detail.source;
  return (
    <div className="jp-mlops-feature-view-header">
      <header className="jp-mlops-view-header">
        <h1 className="jp-mlops-view-title">{detail.name}</h1>
        <span
          className="jp-mlops-feature-version"
          data-version={detail.version}
        >
          {trans.__('v%1', detail.version)}
        </span>
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Reload this feature view')}
          onClick={() => props.onShowVersion(detail.version)}
        />
      </header>
      {detail.version !== newest && (
        <div className="jp-mlops-feature-old-version" role="status">
          {trans.__(
            'This is version %1; the newest is %2.',
            detail.version,
            newest
          )}{' '}
          <button
            className="jp-mlops-link"
            onClick={() => props.onShowVersion(null)}
          >
            {trans.__('Show the newest')}
          </button>
        </div>
      )}
      {detail.description && (
        <p className="jp-mlops-feature-description">{detail.description}</p>
      )}
      <div className="jp-mlops-view-actions">
        <SnippetButton name={detail.name} commands={commands} trans={trans} />
      </div>
      <dl className="jp-mlops-run-facts jp-mlops-feature-facts">
        <dt>{trans.__('Owner')}</dt>
        <dd data-mlops-field="owner">
          {detail.owner || <span className="jp-mlops-muted">—</span>}
        </dd>
        <dt>{trans.__('Entities')}</dt>
        <dd data-mlops-field="entities">{detail.entities.join(', ')}</dd>
        <dt>{trans.__('Tags')}</dt>
        <dd data-mlops-field="tags">
          {tags.length === 0 ? (
            <span className="jp-mlops-muted">—</span>
          ) : (
            tags.map(key => (
              <span
                key={key}
                className="jp-mlops-chip jp-mlops-feature-tag"
                data-key={key}
              >
                {detail.tags[key] ? `${key}=${detail.tags[key]}` : key}
              </span>
            ))
          )}
        </dd>
        <dt>{trans.__('Event time')}</dt>
        <dd data-mlops-field="timestamp_field">
          {detail.timestamp_field}
          {detail.created_timestamp_column && (
            <span className="jp-mlops-muted">
              {' '}
              {trans.__('(created: %1)', detail.created_timestamp_column)}
            </span>
          )}
        </dd>
        <dt>{trans.__('TTL')}</dt>
        <dd data-mlops-field="ttl">{formatTtl(detail.ttl_seconds, trans)}</dd>
        <dt>{trans.__('Source')}</dt>
        <dd data-mlops-field="source">
          {source === null
            ? trans.__('none: data is ingested explicitly')
            : source.kind === 'file'
              ? source.path
              : trans.__('a DataFrame, ingested when applied')}
        </dd>
        <dt>{trans.__('Latest event')}</dt>
        <dd
          data-mlops-field="last_event"
          data-epoch={freshness.last_event ?? ''}
        >
          <TimeAgo
            ms={featureTimeMs(freshness.last_event)}
            never={trans.__('no data ingested')}
          />
        </dd>
        <dt>{trans.__('Last ingested')}</dt>
        <dd data-mlops-field="last_ingested">
          <TimeAgo
            ms={featureTimeMs(freshness.last_ingested)}
            never={trans.__('never')}
          />
          {freshness.batches > 0 && (
            <span className="jp-mlops-muted">
              {' '}
              {trans._n(
                '%2 rows in %1 batch',
                '%2 rows in %1 batches',
                freshness.batches,
                freshness.rows
              )}
            </span>
          )}
        </dd>
        <dt>{trans.__('Online')}</dt>
        <dd data-mlops-field="materialized">
          {materialized === null ? (
            <span className="jp-mlops-muted">
              {trans.__('not materialized')}
            </span>
          ) : (
            <>
              <TimeAgo
                ms={featureTimeMs(materialized.materialized_at)}
                never=""
              />{' '}
              <span className="jp-mlops-muted">
                {trans.__(
                  '%1 keys, events %2 to %3',
                  materialized.rows,
                  formatTime(featureTimeMs(materialized.start)),
                  formatTime(featureTimeMs(materialized.end))
                )}
              </span>
            </>
          )}
        </dd>
        <dt>{trans.__('Registered')}</dt>
        <dd data-mlops-field="created_at">
          {formatTime(featureTimeMs(detail.created_at))}
        </dd>
      </dl>
    </div>
  );
}

/** The view's features at the version shown. */
export function SchemaTable(props: {
  detail: IFeatureViewDetail;
  trans: TranslationBundle;
}): JSX.Element {
  const { detail, trans } = props;
  return (
    <table className="jp-mlops-kv jp-mlops-feature-schema">
      <thead>
        <tr>
          <th>{trans.__('Feature')}</th>
          <th>{trans.__('Type')}</th>
          <th>{trans.__('Description')}</th>
        </tr>
      </thead>
      <tbody>
        {detail.schema.map(field => (
          <tr
            key={field.name}
            data-feature={field.name}
            data-dtype={field.dtype}
          >
            <th scope="row">{field.name}</th>
            <td>{field.dtype}</td>
            <td>{field.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

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

/** What changed from `older` to `version`: fields added, removed, retyped. */
function schemaChanges(
  version: IFeatureViewVersion,
  older: IFeatureViewVersion | undefined,
  trans: TranslationBundle
): string {
  if (older === undefined) {
    return trans.__('first version');
  }
  const before = new Map(older.schema.map(f => [f.name, f]));
  const after = new Map(version.schema.map(f => [f.name, f]));
  const changes: string[] = [];
  for (const field of version.schema) {
    const old = before.get(field.name);
    if (old === undefined) {
      changes.push(`+${field.name}`);
    } else if (old.dtype !== field.dtype) {
      changes.push(`${field.name}: ${old.dtype} → ${field.dtype}`);
    }
  }
  for (const field of older.schema) {
    if (!after.has(field.name)) {
      changes.push(`−${field.name}`);
    }
  }
  return changes.length > 0
    ? changes.join(', ')
    : trans.__('same features (other settings changed)');
}

/** Every version, newest first; any other than the one shown opens on click. */
export function VersionHistory(props: {
  detail: IFeatureViewDetail;
  onShowVersion(version: number): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { detail, trans } = props;
  const { versions } = detail;
  return (
    <table className="jp-mlops-kv jp-mlops-feature-versions">
      <thead>
        <tr>
          <th>{trans.__('Version')}</th>
          <th>{trans.__('Registered')}</th>
          <th>{trans.__('Features')}</th>
          <th>{trans.__('Changes')}</th>
        </tr>
      </thead>
      <tbody>
        {versions.map((version, index) => {
          const current = version.version === detail.version;
          return (
            <tr
              key={version.version}
              data-version={version.version}
              className={current ? 'jp-mlops-current' : undefined}
            >
              <th scope="row">
                {current ? (
                  trans.__('v%1 (shown)', version.version)
                ) : (
                  <button
                    className="jp-mlops-link"
                    title={trans.__('Show version %1', version.version)}
                    onClick={() => props.onShowVersion(version.version)}
                  >
                    {trans.__('v%1', version.version)}
                  </button>
                )}
              </th>
              <td>{formatTime(featureTimeMs(version.created_at))}</td>
              <td>{version.schema.map(f => f.name).join(', ')}</td>
              <td>{schemaChanges(version, versions[index + 1], trans)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return formatMetric(value);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function cellTitle(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** What `load` answers, fetched again whenever `load` changes. */
function useLoaded<T>(load: () => Promise<T>): [T | null, string | null] {
  const [value, setValue] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let stale = false;
    load().then(
      found => !stale && (setValue(found), setError(null)),
      reason => !stale && setError(errorMessage(reason))
    );
    return () => {
      stale = true;
    };
  }, [load]);
  return [value, error];
}

function Loading(props: {
  error: string | null;
  trans: TranslationBundle;
}): JSX.Element {
  return props.error !== null ? (
    <div className="jp-mlops-error" role="alert">
      {props.error}
    </div>
  ) : (
    <div className="jp-mlops-muted">{props.trans.__('Loading…')}</div>
  );
}

/** The view's newest rows by event time. */
export function SampleRows(props: {
  name: string;
  serverSettings: ServerConnection.ISettings;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, serverSettings, trans } = props;
  const load = React.useCallback(
    () => getFeatureSample(name, SAMPLE_ROWS, serverSettings),
    [name, serverSettings]
  );
  const [sample, error] = useLoaded<IFeatureSample>(load);
  if (sample === null) {
    return <Loading error={error} trans={trans} />;
  }
  if (sample.rows.length === 0) {
    return (
      <div className="jp-mlops-muted jp-mlops-feature-sample-empty">
        {trans.__('No rows ingested yet.')}
      </div>
    );
  }
  return (
    <div className="jp-mlops-feature-sample-scroll">
      <table className="jp-mlops-kv jp-mlops-feature-sample">
        <thead>
          <tr>
            {sample.columns.map(column => (
              <th key={column} data-column={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sample.rows.map((row, index) => (
            <tr key={index} data-row={index}>
              {row.map((value, column) => (
                <td
                  key={column}
                  title={value === null ? trans.__('null') : cellTitle(value)}
                  className={
                    value === null ? 'jp-mlops-feature-null' : undefined
                  }
                >
                  {value === null ? '∅' : cellText(value)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The runs that built training sets from the view, and the models they logged. */
export function FeatureUsage(props: {
  name: string;
  serverSettings: ServerConnection.ISettings;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { name, serverSettings, commands, trans } = props;
  const load = React.useCallback(
    () => getFeatureUsage(name, serverSettings),
    [name, serverSettings]
  );
  const [usage, error] = useLoaded<IFeatureUsage>(load);
  if (usage === null) {
    return <Loading error={error} trans={trans} />;
  }
  const openRun = (runId: string) =>
    void commands.execute(CommandIDs.openRun, { runId });
  if (usage.runs.length === 0) {
    return (
      <div className="jp-mlops-muted jp-mlops-feature-usage-empty">
        {trans.__(
          'No tracked run has built a training set from this view yet: runs that call get_historical_features while tracked are listed here.'
        )}
      </div>
    );
  }
  return (
    <div className="jp-mlops-feature-usage">
      <ul className="jp-mlops-feature-usage-runs">
        {usage.runs.map(run => (
          <li
            key={run.run_id}
            className="jp-mlops-feature-usage-run"
            data-run-id={run.run_id}
          >
            <button
              className="jp-mlops-link"
              title={trans.__('Open run %1', run.run_id)}
              onClick={() => openRun(run.run_id)}
            >
              {run.run_name || run.run_id}
            </button>
            <span className="jp-mlops-muted">{run.views}</span>
          </li>
        ))}
      </ul>
      {usage.models.length > 0 && (
        <ul className="jp-mlops-feature-usage-models">
          {usage.models.map(model => (
            <li
              key={`${model.name}/${model.version}`}
              className="jp-mlops-feature-usage-model"
              data-model={model.name}
              data-version={model.version}
            >
              <span className="jp-mlops-model-name">
                {trans.__('%1 version %2', model.name, model.version)}
              </span>
              <button
                className="jp-mlops-link"
                title={trans.__('Open source run %1', model.run_id)}
                onClick={() => openRun(model.run_id)}
              >
                {trans.__('run %1', model.run_id.slice(0, 8))}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
