import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { featureTimeMs, IFeatureViewDetail } from '../../api';
import { formatTime } from '../../format';
import { formatDuration } from '../../jobs/format';
import { CommandIDs } from '../../commandIds';
import { SnippetButton } from '../SnippetButton';

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
        <Button
          small
          className="jp-mlops-feature-lineage"
          title={trans.__(
            'The runs that trained on this version, their models and deployments'
          )}
          onClick={() =>
            void commands.execute(CommandIDs.openLineage, {
              kind: 'feature_view',
              id: `${detail.name}@${detail.version}`
            })
          }
        >
          {trans.__('Lineage')}
        </Button>
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
