import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import { AccordionPanel } from '@lumino/widgets';

import { revealSection } from '../jobs/commands';
import { DeploymentsSectionWidget } from '../sections/deployments';
import { DeploymentCommandIDs } from './commandIds';
import { DeploymentView } from './view/DeploymentView';

/** The main-area id of a deployment's tab (deployment names are identifiers). */
export function deploymentViewId(name: string): string {
  return `jp-mlops-deployment-${name}`;
}

/**
 * The commands that open a deployment's page and reveal the Deployments
 * section (after a deploy from the Models section). Returns the tracker
 * of the deployment pages.
 */
export function addDeploymentCommands(
  app: JupyterFrontEnd,
  options: {
    sidebar: SidePanel;
    rendermime: IRenderMimeRegistry | null;
    restorer: ILayoutRestorer | null;
    trans: TranslationBundle;
  }
): WidgetTracker<MainAreaWidget<DeploymentView>> {
  const { sidebar, rendermime, restorer, trans } = options;
  const serverSettings = app.serviceManager.serverSettings;
  const tracker = new WidgetTracker<MainAreaWidget<DeploymentView>>({
    namespace: 'jupyter-mlops-deployment'
  });

  app.commands.addCommand(DeploymentCommandIDs.open, {
    label: trans.__('Open Deployment'),
    describedBy: {
      args: {
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name']
      }
    },
    execute: args => {
      const name = String(args.name ?? '');
      const id = deploymentViewId(name);
      const existing = tracker.find(widget => widget.id === id);
      if (existing) {
        app.shell.activateById(id);
        return existing;
      }
      const content = new DeploymentView({
        name,
        commands: app.commands,
        rendermime,
        serverSettings,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.addClass('jp-mlops-view');
      widget.title.closable = true;
      void tracker.add(widget);
      app.shell.add(widget, 'main');
      return widget;
    }
  });

  app.commands.addCommand(DeploymentCommandIDs.show, {
    label: trans.__('Show Deployments'),
    describedBy: {
      args: {
        type: 'object',
        properties: { name: { type: 'string' } }
      }
    },
    execute: args => {
      revealSection(app, sidebar, 'deployments');
      const section = (sidebar.content as AccordionPanel).widgets.find(
        widget => widget instanceof DeploymentsSectionWidget
      ) as DeploymentsSectionWidget | undefined;
      section?.reveal(typeof args.name === 'string' ? args.name : null);
    }
  });

  if (restorer) {
    void restorer.restore(tracker, {
      command: DeploymentCommandIDs.open,
      args: widget => ({ name: widget.content.name }),
      name: widget => widget.content.name
    });
  }
  return tracker;
}
