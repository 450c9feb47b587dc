import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { DeploymentCommandIDs } from '../deployments/commandIds';
import { DeploymentsPanel } from '../deployments/DeploymentsPanel';
import { DeploymentListModel } from '../deployments/model';
import { ISection, ISectionContext } from './section';

/**
 * The Deployments section body. It owns the list model and tells it when
 * the section is on screen, so the 2 s refresh of the figures polls only
 * then.
 */
export class DeploymentsSectionWidget extends ReactWidget {
  constructor(private _context: ISectionContext) {
    super();
    this.addClass('jp-mlops-deployments-section');
    this.model = new DeploymentListModel({
      serverSettings: _context.serverSettings
    });
  }

  readonly model: DeploymentListModel;

  /** Highlight `name` (one just deployed) and fetch the list now. */
  reveal(name: string | null): void {
    this.model.select(name);
    void this.model.refresh().catch(() => undefined);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setActive(false);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setActive(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setActive(false);
    super.onBeforeDetach(msg);
  }

  protected render(): JSX.Element {
    const { commands, trans } = this._context;
    return (
      <DeploymentsPanel
        model={this.model}
        onOpen={name =>
          void commands.execute(DeploymentCommandIDs.open, { name })
        }
        trans={trans}
      />
    );
  }
}

export const deploymentsSection: ISection = {
  id: 'deployments',
  title: trans => trans.__('Deployments'),
  weight: 2,
  create: context => new DeploymentsSectionWidget(context)
};
