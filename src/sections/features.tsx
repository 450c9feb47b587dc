import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EmptyState, ISection } from './section';

export const featuresSection: ISection = {
  id: 'features',
  title: trans => trans.__('Features'),
  create: ({ trans }) =>
    ReactWidget.create(
      <EmptyState section="features">
        {trans.__(
          "Feature views and services registered in this project's feature store will appear here."
        )}
      </EmptyState>
    )
};
