import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EmptyState, ISection } from './section';

export const deploymentsSection: ISection = {
  id: 'deployments',
  title: trans => trans.__('Deployments'),
  create: ({ trans }) =>
    ReactWidget.create(
      <EmptyState section="deployments">
        {trans.__(
          'Deployed models with their traffic, health and drift will appear here.'
        )}
      </EmptyState>
    )
};
