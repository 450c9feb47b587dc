import { Clipboard } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { copyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  DeploymentStatus,
  DeploymentStrategyType,
  IDeployment,
  IRequestStats,
  ITrafficSplit
} from '../api/deployments';

export function statusLabel(
  status: DeploymentStatus,
  trans: TranslationBundle
): string {
  switch (status) {
    case 'pending':
      return trans.__('pending');
    case 'starting':
      return trans.__('starting');
    case 'ready':
      return trans.__('ready');
    case 'failed':
      return trans.__('failed');
    case 'stopping':
      return trans.__('stopping');
    case 'stopped':
      return trans.__('stopped');
    default:
      return status;
  }
}

export function strategyLabel(
  strategy: DeploymentStrategyType | string,
  trans: TranslationBundle
): string {
  switch (strategy) {
    case 'replace':
      return trans.__('replace');
    case 'canary':
      return trans.__('canary');
    case 'shadow':
      return trans.__('shadow');
    case 'blue_green':
      return trans.__('blue-green');
    default:
      return strategy;
  }
}

/** The deployment's status as a coloured badge. */
export function StatusBadge(props: {
  status: DeploymentStatus;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <span
      className={`jp-mlops-deploy-status jp-mlops-deploy-status-${props.status}`}
      data-status={props.status}
    >
      {statusLabel(props.status, props.trans)}
    </span>
  );
}

/** A URL with a button that copies it. */
export function CopyableUrl(props: {
  url: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { url, trans } = props;
  const [copied, setCopied] = React.useState(false);
  React.useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = window.setTimeout(() => setCopied(false), 1500);
    return () => window.clearTimeout(timer);
  }, [copied]);
  return (
    <span className="jp-mlops-deploy-endpoint">
      <code className="jp-mlops-deploy-endpoint-url" title={url}>
        {url}
      </code>
      <button
        className="jp-mlops-deploy-copy"
        title={copied ? trans.__('Copied') : trans.__('Copy endpoint URL')}
        aria-label={trans.__('Copy endpoint URL')}
        onClick={event => {
          event.stopPropagation();
          Clipboard.copyToSystem(url);
          setCopied(true);
        }}
      >
        <copyIcon.react tag="span" elementSize="small" />
      </button>
    </span>
  );
}

/**
 * The traffic split: what the server says, or for an older server
 * without one, all traffic on the serving version.
 */
export function trafficOf(deployment: IDeployment): ITrafficSplit {
  if (deployment.traffic) {
    return deployment.traffic;
  }
  return {
    stable: { version: deployment.model_version, weight: 100 },
    candidate: null
  };
}

/** A small bar: the stable version's share against the candidate's. */
export function TrafficBar(props: {
  traffic: ITrafficSplit;
  trans: TranslationBundle;
}): JSX.Element {
  const { traffic, trans } = props;
  const { stable, candidate } = traffic;
  const mode = candidate ? strategyLabel(candidate.mode, trans) : '';
  // A shadow gets a copy of the requests: its weight is not taken from stable.
  const stableWeight = clampPercent(stable.weight);
  const candidateWeight = candidate ? clampPercent(candidate.weight) : 0;
  const title = candidate
    ? trans.__(
        'v%1: %2%, v%3: %4% (%5, %6)',
        stable.version,
        stableWeight,
        candidate.version,
        candidateWeight,
        mode,
        candidate.status
      )
    : trans.__('v%1: %2%', stable.version, stableWeight);
  return (
    <span className="jp-mlops-traffic" title={title} data-mode={mode || 'none'}>
      <span className="jp-mlops-traffic-bar" aria-hidden="true">
        <span
          className="jp-mlops-traffic-stable"
          style={{ width: `${stableWeight}%` }}
        />
        {candidate && (
          <span
            className={`jp-mlops-traffic-candidate jp-mlops-traffic-${candidate.mode}`}
            style={{ width: `${candidateWeight}%` }}
          />
        )}
      </span>
      <span className="jp-mlops-traffic-label">
        {candidate
          ? trans.__(
              'v%1 %2% · v%3 %4% %5',
              stable.version,
              stableWeight,
              candidate.version,
              candidateWeight,
              mode
            )
          : trans.__('v%1 %2%', stable.version, stableWeight)}
      </span>
    </span>
  );
}

function clampPercent(value: number): number {
  return Math.round(Math.min(100, Math.max(0, Number(value) || 0)));
}

export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) {
    return '—';
  }
  return rate >= 10 ? rate.toFixed(0) : rate.toFixed(rate >= 1 ? 1 : 2);
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return '—';
  }
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) {
    return '—';
  }
  const percent = share * 100;
  return `${percent === 0 || percent >= 10 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/** Epoch seconds (or an ISO 8601 string) as a short local date and time. */
export function formatSeconds(
  seconds: number | string | null | undefined
): string {
  if (seconds === null || seconds === undefined) {
    return '';
  }
  const date =
    typeof seconds === 'number' ? new Date(seconds * 1000) : new Date(seconds);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toLocaleString();
}

/** Requests, rate, latency and errors in one line. */
export function StatsLine(props: {
  stats: IRequestStats;
  trans: TranslationBundle;
}): JSX.Element {
  const { stats, trans } = props;
  return (
    <span className="jp-mlops-deploy-stats">
      <span
        className="jp-mlops-deploy-requests"
        data-requests={stats.requests}
        title={trans.__('Requests in the window')}
      >
        {trans._n('%1 req', '%1 reqs', stats.requests)}
      </span>
      <span
        className="jp-mlops-deploy-rate"
        title={trans.__('Requests per second')}
      >
        {trans.__('%1/s', formatRate(stats.rate))}
      </span>
      <span title={trans.__('Median and 99th percentile latency')}>
        {trans.__(
          'p50 %1 · p99 %2',
          formatMs(stats.p50_ms),
          formatMs(stats.p99_ms)
        )}
      </span>
      <span
        className={
          stats.errors > 0
            ? 'jp-mlops-deploy-errors jp-mlops-deploy-has-errors'
            : 'jp-mlops-deploy-errors'
        }
        title={trans._n('%1 error', '%1 errors', stats.errors)}
      >
        {trans.__('%1 err', formatShare(stats.error_rate))}
      </span>
    </span>
  );
}
