import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EmptyState, ISection } from './section';

export const modelsSection: ISection = {
  id: 'models',
  title: trans => trans.__('Models'),
  create: ({ trans }) =>
    ReactWidget.create(
      <EmptyState section="models">
        {trans.__(
          'Registered models, their versions and aliases (champion, challenger) will appear here.'
        )}
      </EmptyState>
    )
};
