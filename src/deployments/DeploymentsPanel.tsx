import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButtonComponent } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IDeployment, IDeploymentMetrics } from '../api/deployments';
import { EmptyState } from '../sections/section';
import { DeploymentListModel, SERVING_STATUSES } from './model';
import {
  CopyableUrl,
  StatsLine,
  StatusBadge,
  strategyLabel,
  TrafficBar,
  trafficOf
} from './parts';
import { useChanged } from './live';

/**
 * The deployments, each with its status, model version, endpoint, traffic
 * split and live request figures; a row opens its page in the main area.
 */
export function DeploymentsPanel(props: {
  model: DeploymentListModel;
  onOpen(name: string): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useChanged(model.changed);
  const selectedRef = React.useRef<HTMLLIElement | null>(null);
  const selected = model.selected;
  React.useEffect(() => {
    selectedRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [selected, model.deployments.length]);

  const deployments = model.deployments;
  return (
    <div className="jp-mlops-deployments" data-mlops-panel="deployments">
      <div className="jp-mlops-toolbar">
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Reload deployments')}
          onClick={() => void model.refresh().catch(() => undefined)}
        />
      </div>
      {model.error !== null && (
        <div className="jp-mlops-error" role="alert">
          {model.error}
        </div>
      )}
      {deployments.length > 0 ? (
        <ul className="jp-mlops-deployment-list">
          {deployments.map(deployment => (
            <DeploymentRow
              key={deployment.name}
              deployment={deployment}
              metrics={model.metrics.get(deployment.name) ?? null}
              selected={deployment.name === selected}
              rowRef={deployment.name === selected ? selectedRef : undefined}
              onOpen={() => {
                model.select(deployment.name);
                props.onOpen(deployment.name);
              }}
              trans={trans}
            />
          ))}
        </ul>
      ) : (
        (model.loaded || model.error !== null) && (
          <EmptyState section="deployments">
            {trans.__(
              'No deployments yet: deploy a registered model version from the Models section.'
            )}
          </EmptyState>
        )
      )}
    </div>
  );
}

function DeploymentRow(props: {
  deployment: IDeployment;
  metrics: IDeploymentMetrics | null;
  selected: boolean;
  rowRef?: React.Ref<HTMLLIElement>;
  onOpen(): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { deployment, metrics, trans } = props;
  const serving = SERVING_STATUSES.has(deployment.status);
  const traffic = trafficOf(deployment);
  const className = props.selected
    ? 'jp-mlops-deployment jp-mlops-deployment-selected'
    : 'jp-mlops-deployment';
  return (
    <li
      ref={props.rowRef}
      className={className}
      data-deployment={deployment.name}
      data-status={deployment.status}
    >
      <div className="jp-mlops-deployment-head">
        <button
          className="jp-mlops-link jp-mlops-deployment-name"
          title={trans.__('Open deployment %1', deployment.name)}
          onClick={props.onOpen}
        >
          {deployment.name}
        </button>
        <StatusBadge status={deployment.status} trans={trans} />
        <span
          className="jp-mlops-deployment-model jp-mlops-muted"
          title={deployment.model_uri}
        >
          {trans.__('%1 v%2', deployment.model_name, deployment.model_version)}
        </span>
        {deployment.candidate && !deployment.traffic && (
          <span className="jp-mlops-chip" title={deployment.candidate.status}>
            {trans.__(
              '→ v%1 (%2)',
              deployment.candidate.model_version,
              strategyLabel(deployment.strategy, trans)
            )}
          </span>
        )}
      </div>
      {deployment.endpoint && (
        <CopyableUrl url={deployment.endpoint} trans={trans} />
      )}
      {deployment.status === 'failed' && deployment.error && (
        <div className="jp-mlops-deployment-error" title={deployment.error}>
          {deployment.error}
        </div>
      )}
      {serving && (
        <div className="jp-mlops-deployment-live">
          <TrafficBar traffic={traffic} trans={trans} />
          {metrics && <StatsLine stats={metrics.total} trans={trans} />}
        </div>
      )}
    </li>
  );
}
