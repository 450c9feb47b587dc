import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EmptyState, ISection } from './section';

export const runsSection: ISection = {
  id: 'runs',
  title: trans => trans.__('Runs'),
  create: ({ trans }) =>
    ReactWidget.create(
      <EmptyState section="runs">
        {/* The magic's name goes in as an argument: gettext would read "%%" as an escaped "%". */}
        {trans.__(
          'MLflow experiments and runs (logged from %1, jobs or plain mlflow) will appear here.',
          '%%track'
        )}
      </EmptyState>
    )
};
