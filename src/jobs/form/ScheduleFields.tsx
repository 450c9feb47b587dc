import * as React from 'react';

import { describe, IFieldsetProps, InputField, SelectField } from './Field';
import { timeZones } from './timeZones';

/** When the job runs: a cron schedule, or now when it is left empty. */
export function ScheduleFields(props: IFieldsetProps): JSX.Element {
  const { fields, schema, idPrefix, trans } = props;
  const scheduled = fields.cron.trim() !== '';
  return (
    <fieldset className="jp-mlops-job-fieldset">
      <legend>{trans.__('Schedule')}</legend>
      <InputField
        form={props}
        name="cron"
        field="schedule.cron"
        idSuffix="cron"
        label={trans.__('Cron')}
        help={trans.__(
          'Five fields: minute hour day month weekday. Leave empty to run now.'
        )}
        input={{
          className: 'jp-mlops-job-cron-input',
          placeholder: trans.__('e.g. %1', '0 3 * * *'),
          spellCheck: false
        }}
      />
      <InputField
        form={props}
        name="timezone"
        field="schedule.timezone"
        idSuffix="timezone"
        label={trans.__('Time zone')}
        input={{ disabled: !scheduled, list: `${idPrefix}-timezones` }}
      >
        <datalist id={`${idPrefix}-timezones`}>
          {timeZones().map(zone => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </InputField>
      <SelectField
        form={props}
        name="catchup"
        field="schedule.catchup"
        idSuffix="catchup"
        label={trans.__('Missed runs')}
        help={describe(schema, 'schedule.catchup')}
        disabled={!scheduled}
        options={[
          { value: 'latest', label: trans.__('Run the latest one once') },
          { value: 'none', label: trans.__('Skip them') },
          { value: 'all', label: trans.__('Run every one') }
        ]}
      />
    </fieldset>
  );
}
