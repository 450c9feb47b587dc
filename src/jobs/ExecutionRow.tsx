import { TranslationBundle } from '@jupyterlab/translation';
import {
  launchIcon,
  listIcon,
  notebookIcon,
  runIcon,
  stopIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { IExecution, IExecutorFeatures, isActiveJob } from '../api';
import { formatTime } from '../format';
import { canCancel, canShowLog } from './capabilities';
import {
  baseName,
  executionSeconds,
  formatDuration,
  jobStatusLabel
} from './format';
import { JobProgress } from './JobProgress';

/** Row height in px; the virtual list divides by it. Keep in step with the CSS. */
export const JOB_ROW_HEIGHT = 84;

/** What a row's buttons do; one stable object for every row. */
export interface IExecutionActions {
  cancel(execution: IExecution): void;
  rerun(execution: IExecution): void;
  openLog(execution: IExecution): void;
  openOutput(execution: IExecution): void;
  openRun(execution: IExecution): void;
}

export interface IExecutionRowProps {
  execution: IExecution;
  /** A cancel or re-run request is on its way. */
  pending: boolean;
  actions: IExecutionActions;
  /** What the executor can do: a button is shown only where it works. */
  features: Readonly<IExecutorFeatures>;
  trans: TranslationBundle;
}

function errorText(execution: IExecution, trans: TranslationBundle): string {
  const error = execution.error;
  if (!error) {
    return '';
  }
  const what = `${error.ename}: ${error.evalue}`;
  // The execution count is what the output notebook shows as `[n]:`.
  if (error.cell !== null && error.cell !== undefined) {
    return trans.__('%1 (cell [%2])', what, error.cell);
  }
  if (error.cell_index !== null && error.cell_index !== undefined) {
    return trans.__('%1 (cell #%2)', what, error.cell_index + 1);
  }
  return what;
}

/**
 * One execution: status, name, progress, notebook, attempt and duration,
 * the error of a failed one, and buttons for what can be done with it.
 */
function ExecutionRowImpl(props: IExecutionRowProps): JSX.Element {
  const { execution, pending, actions, features, trans } = props;
  const { spec } = execution;
  const active = isActiveJob(execution.status);
  const finished = !active;
  const status = jobStatusLabel(execution, trans);
  const duration = formatDuration(executionSeconds(execution), trans);
  const error = errorText(execution, trans);
  const when = execution.started_at ?? execution.queued_at;
  return (
    <div
      className="jp-mlops-job-row"
      data-execution-id={execution.id}
      data-status={execution.status}
    >
      <div className="jp-mlops-job-head">
        <span
          className={`jp-mlops-dot jp-mlops-job-dot-${execution.status}`}
          role="img"
          aria-label={status}
          title={status}
        />
        <span
          className="jp-mlops-job-name"
          title={trans.__('Execution %1 of %2', execution.id, spec.name)}
        >
          {spec.name}
        </span>
        <span className="jp-mlops-job-status" data-status={execution.status}>
          {status}
        </span>
      </div>
      <JobProgress execution={execution} trans={trans} />
      <div className="jp-mlops-job-meta">
        <span className="jp-mlops-job-notebook" title={spec.notebook}>
          {baseName(spec.notebook)}
        </span>
        <span className="jp-mlops-job-attempt">
          {trans.__('attempt %1', execution.attempt)}
        </span>
        {duration && <span className="jp-mlops-job-duration">{duration}</span>}
      </div>
      <div className="jp-mlops-job-foot">
        {error ? (
          <span
            className={`jp-mlops-job-error jp-mlops-job-error-${execution.status}`}
            title={error}
            data-ename={execution.error?.ename}
          >
            {error}
          </span>
        ) : (
          <span className="jp-mlops-job-when">{formatTime(when * 1000)}</span>
        )}
        <span className="jp-mlops-job-actions">
          {canCancel(execution, features) && (
            <ToolbarButtonComponent
              className="jp-mlops-job-cancel"
              icon={stopIcon}
              tooltip={trans.__('Cancel this execution')}
              enabled={!pending && !execution.cancel_requested}
              onClick={() => actions.cancel(execution)}
            />
          )}
          <ToolbarButtonComponent
            className="jp-mlops-job-rerun"
            icon={runIcon}
            tooltip={trans.__(
              'Run again with the same notebook and parameters'
            )}
            enabled={!pending}
            onClick={() => actions.rerun(execution)}
          />
          {canShowLog(execution, features) && (
            <ToolbarButtonComponent
              className="jp-mlops-job-log"
              icon={listIcon}
              tooltip={trans.__('Show the log')}
              onClick={() => actions.openLog(execution)}
            />
          )}
          {finished && execution.mlflow_run_id && (
            <ToolbarButtonComponent
              className="jp-mlops-job-output"
              icon={notebookIcon}
              tooltip={trans.__('Open the executed notebook (read-only)')}
              onClick={() => actions.openOutput(execution)}
            />
          )}
          {execution.mlflow_run_id && (
            <ToolbarButtonComponent
              className="jp-mlops-job-run"
              icon={launchIcon}
              tooltip={trans.__('Open the MLflow run')}
              onClick={() => actions.openRun(execution)}
            />
          )}
        </span>
      </div>
    </div>
  );
}

// Rows re-render only when their execution object changes: a live refresh
// replaces just the executions it fetched.
export const ExecutionRow = React.memo(ExecutionRowImpl);
