import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { getRun, IRunDetail } from '../api';
import { errorMessage, formatMetric, formatTime } from '../format';
import { StatusDot } from '../runs/StatusDot';
import { ArtifactTree } from './ArtifactTree';
import { KeyValueTable } from './KeyValueTable';
import { LoggedModels } from './LoggedModels';
import { MetricCharts } from './MetricCharts';

export interface IRunDetailsProps {
  runId: string;
  serverSettings: ServerConnection.ISettings;
  /** Open a server-root-relative notebook path; null when Lab cannot. */
  openNotebook: ((path: string) => Promise<void>) | null;
  /** Open one of a run's artifacts, read-only; null when Lab cannot. */
  openArtifact: ((runId: string, path: string) => Promise<void>) | null;
  onModelsChanged(): void;
  /** Draws the metric charts (Plotly); without it they say what is missing. */
  rendermime?: IRenderMimeRegistry | null;
  /** Called with each loaded copy of the run (e.g. to title the tab). */
  onLoaded?(detail: IRunDetail): void;
  trans: TranslationBundle;
}

/** The lineage tag naming the run's notebook snapshot artifact. */
const SNAPSHOT_TAG = 'mlops.source.snapshot';
/** MLflow's tag holding the run's description: shown as such, not as a tag. */
const DESCRIPTION_TAG = 'mlflow.note.content';

function withoutDescription(
  tags: Record<string, string>
): Record<string, string> {
  const rest = { ...tags };
  delete rest[DESCRIPTION_TAG];
  return rest;
}

function Section(props: { title: string; children: React.ReactNode }) {
  return (
    <section className="jp-mlops-view-section">
      <h2 className="jp-mlops-view-heading">{props.title}</h2>
      {props.children}
    </section>
  );
}

/**
 * The artifact path of the run's notebook snapshot (`notebook/<name>.ipynb`):
 * its lineage tag, or else the server's root-relative snapshot path read
 * back against the run's artifact location.
 */
export function snapshotArtifact(detail: IRunDetail): string | null {
  const tagged = detail.run.tags[SNAPSHOT_TAG];
  if (tagged) {
    return tagged;
  }
  const rootRelative = detail.notebook.snapshot_path;
  const uri = detail.run.artifact_uri;
  if (!rootRelative || !uri.startsWith('file:')) {
    return null;
  }
  // The root-relative path ends with a tail of the artifact location's path
  // followed by the artifact's own path.
  const parts = decodeURIComponent(new URL(uri).pathname)
    .split('/')
    .filter(part => part !== '');
  for (let start = 0; start < parts.length; start++) {
    const prefix = parts.slice(start).join('/') + '/';
    if (rootRelative.startsWith(prefix)) {
      return rootRelative.slice(prefix.length);
    }
  }
  return null;
}

/** Everything about one run: what it was given, what it measured, what it left. */
export function RunDetails(props: IRunDetailsProps): JSX.Element {
  const { runId, serverSettings, openNotebook, openArtifact, onLoaded, trans } =
    props;
  const [detail, setDetail] = React.useState<IRunDetail | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [openError, setOpenError] = React.useState<string | null>(null);
  const [loads, setLoads] = React.useState(0);

  const load = React.useCallback(async () => {
    try {
      const loaded = await getRun(runId, serverSettings);
      setDetail(loaded);
      setLoads(n => n + 1);
      setError(null);
      onLoaded?.(loaded);
    } catch (reason) {
      setError(errorMessage(reason));
    }
  }, [runId, serverSettings, onLoaded]);
  React.useEffect(() => void load(), [load]);

  const openRunArtifact = React.useCallback(
    async (path: string) => {
      try {
        setOpenError(null);
        await openArtifact?.(runId, path);
      } catch (reason) {
        setOpenError(
          trans.__('Cannot open %1: %2', path, errorMessage(reason))
        );
      }
    },
    [openArtifact, runId, trans]
  );

  const open = async (path: string) => {
    try {
      setOpenError(null);
      await openNotebook?.(path);
    } catch (reason) {
      let message = trans.__('Cannot open %1: %2', path, errorMessage(reason));
      if (/(^|\/)\./.test(path)) {
        message +=
          ' ' +
          trans.__(
            'Jupyter serves no file in a hidden folder unless the server runs with ContentsManager.allow_hidden=True.'
          );
      }
      setOpenError(message);
    }
  };

  if (detail === null) {
    return error !== null ? (
      <div className="jp-mlops-error" role="alert">
        {error}
      </div>
    ) : (
      <div className="jp-mlops-muted">{trans.__('Loading…')}</div>
    );
  }
  const { run, notebook } = detail;
  const snapshot = snapshotArtifact(detail);
  const source = notebook.path;
  const metricKeys = Object.keys(run.metrics).sort();
  return (
    <div className="jp-mlops-run-view" data-run-id={run.run_id}>
      <header className="jp-mlops-view-header">
        <StatusDot status={run.status} trans={trans} />
        <h1 className="jp-mlops-view-title">{run.run_name || run.run_id}</h1>
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Reload this run')}
          onClick={() => void load()}
        />
      </header>
      {error !== null && <div className="jp-mlops-error">{error}</div>}
      {run.description && (
        // Plain text (MLflow's Markdown unrendered): a note is anyone's input.
        <p className="jp-mlops-run-description">{run.description}</p>
      )}
      <dl className="jp-mlops-run-facts">
        <dt>{trans.__('Run id')}</dt>
        <dd>{run.run_id}</dd>
        <dt>{trans.__('Status')}</dt>
        <dd>{run.status}</dd>
        <dt>{trans.__('Started')}</dt>
        <dd>{formatTime(run.start_time)}</dd>
        <dt>{trans.__('Ended')}</dt>
        <dd>{formatTime(run.end_time)}</dd>
        <dt>{trans.__('User')}</dt>
        <dd>{run.user_id}</dd>
        <dt>{trans.__('Artifacts at')}</dt>
        <dd>{run.artifact_uri}</dd>
      </dl>
      <div className="jp-mlops-view-actions">
        <Button
          small
          className="jp-mlops-open-snapshot"
          disabled={!snapshot || !openArtifact}
          title={
            snapshot
              ? trans.__('Artifact %1 (read-only)', snapshot)
              : trans.__('This run has no notebook snapshot')
          }
          onClick={() => snapshot && void openRunArtifact(snapshot)}
        >
          {trans.__('Open notebook snapshot')}
        </Button>
        {source && (
          <Button
            small
            minimal
            className="jp-mlops-open-source"
            disabled={!openNotebook}
            title={source}
            onClick={() => void open(source)}
          >
            {trans.__('Open source notebook')}
          </Button>
        )}
      </div>
      {openError !== null && (
        <div className="jp-mlops-error" role="alert">
          {openError}
        </div>
      )}
      <Section title={trans.__('Parameters')}>
        <KeyValueTable
          kind="params"
          entries={run.params}
          empty={trans.__('No parameters')}
        />
      </Section>
      <Section title={trans.__('Metrics (latest)')}>
        <KeyValueTable
          kind="metrics"
          entries={run.metrics}
          format={value => formatMetric(Number(value))}
          empty={trans.__('No metrics')}
        />
      </Section>
      <Section title={trans.__('Metric history')}>
        <MetricCharts
          // A reload fetches the histories again.
          key={loads}
          runId={run.run_id}
          keys={metricKeys}
          rendermime={props.rendermime ?? null}
          serverSettings={serverSettings}
          trans={trans}
        />
      </Section>
      <Section title={trans.__('Models')}>
        <LoggedModels
          models={detail.models}
          serverSettings={serverSettings}
          onRegistered={props.onModelsChanged}
          trans={trans}
        />
      </Section>
      <Section title={trans.__('Artifacts')}>
        <ArtifactTree
          runId={run.run_id}
          artifacts={detail.artifacts}
          serverSettings={serverSettings}
          onOpen={openArtifact ? openRunArtifact : null}
          trans={trans}
        />
      </Section>
      <Section title={trans.__('Tags')}>
        <KeyValueTable
          kind="tags"
          entries={withoutDescription(run.tags)}
          empty={trans.__('No tags')}
        />
      </Section>
    </div>
  );
}
