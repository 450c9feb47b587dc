import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IJobDefinition } from '../api';
import { formatTime } from '../format';
import { baseName } from './format';

/** The scheduled jobs: name, cron with its time zone, and the next run. */
export function DefinitionList(props: {
  definitions: ReadonlyArray<IJobDefinition>;
  trans: TranslationBundle;
}): JSX.Element {
  const { definitions, trans } = props;
  return (
    <div className="jp-mlops-job-definitions">
      <div className="jp-mlops-job-heading">{trans.__('Scheduled')}</div>
      <ul className="jp-mlops-job-definition-list">
        {definitions.map(definition => (
          <li
            key={definition.id}
            className="jp-mlops-job-definition"
            data-definition-id={definition.id}
            title={definition.spec.notebook}
          >
            <span className="jp-mlops-job-definition-name">
              {definition.name || baseName(definition.spec.notebook)}
            </span>
            <code
              className="jp-mlops-job-cron"
              title={trans.__('Time zone %1', definition.timezone)}
            >
              {definition.cron}
            </code>
            <span className="jp-mlops-job-next">
              {!definition.enabled
                ? trans.__('disabled')
                : definition.next_run_at !== null
                  ? trans.__(
                      'next %1',
                      formatTime(definition.next_run_at * 1000)
                    )
                  : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
