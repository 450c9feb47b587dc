import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EmptyState, ISection } from './section';

export const jobsSection: ISection = {
  id: 'jobs',
  title: trans => trans.__('Jobs'),
  create: ({ trans }) =>
    ReactWidget.create(
      <EmptyState section="jobs">
        {trans.__(
          'Notebook training jobs (papermill), their schedules and executions will appear here.'
        )}
      </EmptyState>
    )
};
