import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IExperiment } from '../api';

export function ExperimentPicker(props: {
  experiments: ReadonlyArray<IExperiment>;
  value: string | null;
  onChange(experimentId: string): void;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <HTMLSelect
      className="jp-mlops-experiment-picker"
      aria-label={props.trans.__('Experiment')}
      title={props.trans.__('Experiment')}
      value={props.value ?? ''}
      onChange={event => props.onChange(event.currentTarget.value)}
      options={props.experiments.map(experiment => ({
        value: experiment.experiment_id,
        label: experiment.name
      }))}
    />
  );
}
