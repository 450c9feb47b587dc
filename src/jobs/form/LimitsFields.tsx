import * as React from 'react';

import { schemaAt } from '../formValues';
import { describe, IFieldsetProps, InputField } from './Field';

/** How long a run may take, and how often a failed one is tried again. */
export function LimitsFields(props: IFieldsetProps): JSX.Element {
  const { schema, trans } = props;
  return (
    <fieldset className="jp-mlops-job-fieldset">
      <legend>{trans.__('Limits and retries')}</legend>
      <InputField
        form={props}
        name="timeout"
        field="timeout"
        idSuffix="timeout"
        label={trans.__('Timeout (seconds)')}
        help={describe(schema, 'timeout')}
        input={{ type: 'number', min: 1 }}
      />
      <InputField
        form={props}
        name="cellTimeout"
        field="cell_timeout"
        idSuffix="cell-timeout"
        label={trans.__('Cell timeout (seconds)')}
        help={describe(schema, 'cell_timeout')}
        input={{ type: 'number', min: 1, placeholder: trans.__('none') }}
      />
      <InputField
        form={props}
        name="maxAttempts"
        field="retry.max_attempts"
        idSuffix="attempts"
        label={trans.__('Attempts')}
        help={trans.__('1 runs once; more retry a failed run.')}
        input={{
          type: 'number',
          min: 1,
          max: schemaAt(schema, 'retry.max_attempts')?.maximum,
          step: 1
        }}
      />
      <InputField
        form={props}
        name="backoff"
        field="retry.backoff_seconds"
        idSuffix="backoff"
        label={trans.__('Backoff (seconds)')}
        help={trans.__('Wait before each retry.')}
        input={{ type: 'number', min: 0 }}
      />
    </fieldset>
  );
}
