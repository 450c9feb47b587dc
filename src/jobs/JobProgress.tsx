import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IExecution } from '../api';

/**
 * A bar for `progress.done` of `progress.total` cells, with the count as
 * text. A succeeded execution is full even when the last count was lost.
 */
export function JobProgress(props: {
  execution: IExecution;
  trans: TranslationBundle;
}): JSX.Element {
  const { execution, trans } = props;
  const { done, total } = execution.progress;
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const label =
    total > 0
      ? trans.__('cell %1 of %2', done, total)
      : execution.status === 'queued'
        ? trans.__('waiting')
        : execution.status === 'starting'
          ? trans.__('starting')
          : trans.__('no cells yet');
  return (
    <div
      className={`jp-mlops-job-progress jp-mlops-job-progress-${execution.status}`}
      role="progressbar"
      aria-label={trans.__('Cells run')}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
      aria-valuetext={label}
      data-done={done}
      data-total={total}
      title={label}
    >
      <div className="jp-mlops-job-progress-track">
        <div
          className="jp-mlops-job-progress-fill"
          style={{ width: `${(fraction * 100).toFixed(1)}%` }}
        />
      </div>
      <span className="jp-mlops-job-progress-text">{label}</span>
    </div>
  );
}
