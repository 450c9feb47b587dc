import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { RunStatus } from '../api';

function statusLabel(status: RunStatus, trans: TranslationBundle): string {
  switch (status) {
    case 'RUNNING':
      return trans.__('Running');
    case 'FINISHED':
      return trans.__('Finished');
    case 'FAILED':
      return trans.__('Failed');
    case 'KILLED':
      return trans.__('Killed');
    case 'SCHEDULED':
      return trans.__('Scheduled');
    default:
      return status;
  }
}

/** A coloured dot for a run status, with the status as its tooltip. */
export function StatusDot(props: {
  status: RunStatus;
  trans: TranslationBundle;
}): JSX.Element {
  const label = statusLabel(props.status, props.trans);
  return (
    <span
      className={`jp-mlops-dot jp-mlops-dot-${props.status.toLowerCase()}`}
      data-status={props.status}
      title={label}
      aria-label={label}
      role="img"
    />
  );
}
