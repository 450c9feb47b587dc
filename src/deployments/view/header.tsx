import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IDeploymentMetrics } from '../../api/deployments';
import {
  CopyableUrl,
  formatMs,
  formatRate,
  formatSeconds,
  formatShare,
  StatusBadge,
  strategyLabel,
  TrafficBar,
  trafficOf
} from '../parts';
import { useChanged } from '../live';
import { DeploymentModel } from './model';

/** Re-render on every change of the model. */
export function useDeploymentModel(model: DeploymentModel): void {
  useChanged(model.changed);
}

/**
 * The deployment's facts, traffic split and live figures per version,
 * with Promote / Rollback (only with a candidate) and Undeploy.
 */
export function DeploymentHeader(props: {
  model: DeploymentModel;
  /** Open the lineage graph around this deployment. */
  onLineage(): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useDeploymentModel(model);
  const deployment = model.deployment;
  if (deployment === null) {
    return model.error !== null ? (
      <div className="jp-mlops-error" role="alert">
        {model.error}
      </div>
    ) : (
      <div className="jp-mlops-muted">{trans.__('Loading…')}</div>
    );
  }
  const traffic = trafficOf(deployment);
  const candidate = traffic.candidate ?? deployment.candidate;
  const stopped =
    deployment.status === 'stopped' || deployment.status === 'stopping';
  const busy = model.busy !== null;
  return (
    <div className="jp-mlops-deployment-header">
      <div className="jp-mlops-view-header">
        <h1 className="jp-mlops-view-title">{deployment.name}</h1>
        <StatusBadge status={deployment.status} trans={trans} />
      </div>
      {model.error !== null && (
        <div className="jp-mlops-error" role="alert">
          {model.error}
        </div>
      )}
      <dl className="jp-mlops-run-facts jp-mlops-deployment-facts">
        <dt>{trans.__('Model')}</dt>
        <dd>
          {trans.__('%1 v%2', deployment.model_name, deployment.model_version)}{' '}
          <span className="jp-mlops-muted">({deployment.model_uri})</span>
        </dd>
        <dt>{trans.__('Endpoint')}</dt>
        <dd>
          {deployment.endpoint ? (
            <CopyableUrl url={deployment.endpoint} trans={trans} />
          ) : (
            <span className="jp-mlops-muted">{trans.__('not serving')}</span>
          )}
        </dd>
        <dt>{trans.__('Strategy')}</dt>
        <dd className="jp-mlops-deployment-strategy">
          {candidate
            ? trans.__(
                '%1, rolling out v%2',
                strategyLabel(deployment.strategy, trans),
                'version' in candidate
                  ? candidate.version
                  : candidate.model_version
              )
            : trans.__('v%1 takes all traffic', deployment.model_version)}
        </dd>
        <dt>{trans.__('Traffic')}</dt>
        <dd>
          <TrafficBar traffic={traffic} trans={trans} />
        </dd>
        {candidate && (
          <>
            <dt>{trans.__('Candidate')}</dt>
            <dd className="jp-mlops-deployment-candidate">
              {trans.__(
                'v%1 (%2)',
                'version' in candidate
                  ? candidate.version
                  : candidate.model_version,
                candidate.status
              )}
            </dd>
          </>
        )}
        <dt>{trans.__('Restarts')}</dt>
        <dd>{deployment.restarts}</dd>
        <dt>{trans.__('Created')}</dt>
        <dd>{formatSeconds(deployment.created_at)}</dd>
        {deployment.ready_at !== null && (
          <>
            <dt>{trans.__('Ready since')}</dt>
            <dd>{formatSeconds(deployment.ready_at)}</dd>
          </>
        )}
      </dl>
      {deployment.error && (
        <div className="jp-mlops-error jp-mlops-deployment-failure">
          {deployment.error}
        </div>
      )}
      {model.metrics && <MetricsTable metrics={model.metrics} trans={trans} />}
      <div className="jp-mlops-view-actions">
        <Button
          small
          className="jp-mlops-deployment-promote"
          disabled={!candidate || busy || stopped}
          title={
            candidate
              ? trans.__('Send all traffic to the candidate version')
              : trans.__('No candidate version to promote')
          }
          onClick={() => void confirmed(model, 'promote', trans)}
        >
          {trans.__('Promote')}
        </Button>
        <Button
          small
          className="jp-mlops-deployment-rollback"
          disabled={!candidate || busy || stopped}
          title={
            candidate
              ? trans.__(
                  'Drop the candidate; the stable version takes all traffic'
                )
              : trans.__('No candidate version to roll back')
          }
          onClick={() => void confirmed(model, 'rollback', trans)}
        >
          {trans.__('Rollback')}
        </Button>
        <Button
          small
          className="jp-mlops-deployment-undeploy"
          disabled={busy || stopped}
          title={trans.__('Stop serving this deployment')}
          onClick={() => void confirmed(model, 'undeploy', trans)}
        >
          {trans.__('Undeploy')}
        </Button>
        <Button
          small
          className="jp-mlops-deployment-lineage"
          title={trans.__(
            'Where its model came from: run, job, training set, feature views'
          )}
          onClick={props.onLineage}
        >
          {trans.__('Lineage')}
        </Button>
      </div>
      {model.actionError !== null && (
        <div className="jp-mlops-error" role="alert">
          {model.actionError}
        </div>
      )}
    </div>
  );
}

/** What each action does, asked before it is done: none can be undone by a click. */
function question(
  action: 'promote' | 'rollback' | 'undeploy',
  deployment: string,
  trans: TranslationBundle
): { title: string; body: string; label: string } {
  switch (action) {
    case 'promote':
      return {
        title: trans.__('Promote the candidate of %1?', deployment),
        body: trans.__(
          'The candidate version takes every request; the version serving now stops.'
        ),
        label: trans.__('Promote')
      };
    case 'rollback':
      return {
        title: trans.__('Roll back the candidate of %1?', deployment),
        body: trans.__(
          'The candidate version stops; the serving version takes every request again.'
        ),
        label: trans.__('Roll back')
      };
    default:
      return {
        title: trans.__('Undeploy %1?', deployment),
        body: trans.__(
          'Its serving processes stop and its endpoint stops answering. Its history and prediction logs are kept.'
        ),
        label: trans.__('Undeploy')
      };
  }
}

async function confirmed(
  model: DeploymentModel,
  action: 'promote' | 'rollback' | 'undeploy',
  trans: TranslationBundle
): Promise<void> {
  const asked = question(action, model.name, trans);
  const answer = await showDialog({
    title: asked.title,
    body: asked.body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: asked.label })
    ]
  });
  if (answer.button.accept) {
    await model.act(action);
  }
}

/** Per-version and total request figures over the metrics window. */
function MetricsTable(props: {
  metrics: IDeploymentMetrics;
  trans: TranslationBundle;
}): JSX.Element {
  const { metrics, trans } = props;
  const rows = [
    ...metrics.versions.map(version => ({
      key: `v${version.version}`,
      label: trans.__(
        'v%1 (%2, %3%)',
        version.version,
        version.role,
        version.weight
      ),
      stats: version
    })),
    { key: 'total', label: trans.__('Total'), stats: metrics.total }
  ];
  return (
    <table
      className="jp-mlops-kv jp-mlops-deployment-metrics"
      data-window={metrics.window_seconds}
    >
      <caption className="jp-mlops-muted">
        {trans.__('Last %1 s', Math.round(metrics.window_seconds))}
      </caption>
      <thead>
        <tr>
          <th />
          <th>{trans.__('Requests')}</th>
          <th>{trans.__('Rate')}</th>
          <th>{trans.__('p50')}</th>
          <th>{trans.__('p99')}</th>
          <th>{trans.__('Errors')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr key={row.key} data-row={row.key}>
            <th>{row.label}</th>
            <td className="jp-mlops-deployment-requests">
              {row.stats.requests}
            </td>
            <td>{trans.__('%1/s', formatRate(row.stats.rate))}</td>
            <td>{formatMs(row.stats.p50_ms)}</td>
            <td>{formatMs(row.stats.p99_ms)}</td>
            <td>
              {row.stats.errors} ({formatShare(row.stats.error_rate)})
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The deployment's history, newest first. */
export function EventList(props: {
  model: DeploymentModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useDeploymentModel(model);
  const events = model.events;
  if (events.length === 0) {
    return <div className="jp-mlops-muted">{trans.__('No events yet.')}</div>;
  }
  return (
    <ol className="jp-mlops-deployment-events">
      {events.map(event => (
        <li
          key={event.id}
          className="jp-mlops-deployment-event"
          data-kind={event.kind}
        >
          <span className="jp-mlops-deployment-event-time">
            {formatSeconds(event.at)}
          </span>
          <span className="jp-mlops-chip">{event.kind}</span>
          <span className="jp-mlops-deployment-event-message">
            {event.message}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** The retraining trigger's firings: why each fired and how far it got. */
export function TriggerHistory(props: {
  model: DeploymentModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  useDeploymentModel(model);
  if (!model.deployment?.spec?.trigger) {
    return (
      <div className="jp-mlops-muted">
        {trans.__(
          'No retraining trigger: deploy with one (--retrain-job) to retrain on drift.'
        )}
      </div>
    );
  }
  const firings = model.firings;
  if (firings.length === 0) {
    return (
      <div className="jp-mlops-muted">
        {trans.__('The trigger has not fired.')}
      </div>
    );
  }
  return (
    <table className="jp-mlops-table jp-mlops-deployment-firings">
      <thead>
        <tr>
          <th>{trans.__('Fired')}</th>
          <th>{trans.__('Status')}</th>
          <th>{trans.__('Reason')}</th>
          <th>{trans.__('Version')}</th>
          <th>{trans.__('Last word')}</th>
        </tr>
      </thead>
      <tbody>
        {firings.map(firing => (
          <tr key={firing.id} data-status={firing.status}>
            <td>{new Date(firing.fired_at).toLocaleString()}</td>
            <td>
              <span className="jp-mlops-chip">{firing.status}</span>
            </td>
            <td>{firing.reason}</td>
            <td>{firing.model_version ?? ''}</td>
            <td>{firing.message ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
