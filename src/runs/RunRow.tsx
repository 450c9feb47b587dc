import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IRunSummary } from '../api';
import { formatMetric, formatTime } from '../format';
import { StatusDot } from './StatusDot';

/** Row height in px; the virtual list divides by it. Keep in step with the CSS. */
export const RUN_ROW_HEIGHT = 44;

export interface IRunRowProps {
  run: IRunSummary;
  selected: boolean;
  onSelect(runId: string, selected: boolean): void;
  onOpen(runId: string): void;
  trans: TranslationBundle;
}

/**
 * One run in the sidebar list: checkbox, status, name, start time and its
 * first two metrics (by name, so every row shows the same ones).
 */
function RunRowImpl(props: IRunRowProps): JSX.Element {
  const { run, selected, trans } = props;
  const name = run.run_name || run.run_id;
  const metrics = Object.keys(run.metrics).sort().slice(0, 2);
  return (
    <div
      className={`jp-mlops-run-row${selected ? ' jp-mlops-selected' : ''}`}
      data-run-id={run.run_id}
    >
      <input
        type="checkbox"
        className="jp-mlops-run-check"
        checked={selected}
        aria-label={trans.__('Select run %1', name)}
        onChange={event => props.onSelect(run.run_id, event.target.checked)}
      />
      <StatusDot status={run.status} trans={trans} />
      <div className="jp-mlops-run-main">
        <button
          className="jp-mlops-link jp-mlops-run-name"
          title={trans.__('Open run %1', run.run_id)}
          onClick={() => props.onOpen(run.run_id)}
        >
          {name}
        </button>
        <div className="jp-mlops-run-meta">
          <span className="jp-mlops-run-time">
            {formatTime(run.start_time)}
          </span>
          {metrics.map(key => (
            <span
              key={key}
              className="jp-mlops-run-metric"
              title={`${key} = ${run.metrics[key]}`}
            >
              {key} {formatMetric(run.metrics[key])}
            </span>
          ))}
        </div>
      </div>
    </div>
  );
}

// Rows re-render only when their run object or selection changes: a live
// refresh replaces just the rows it fetched.
export const RunRow = React.memo(RunRowImpl);
