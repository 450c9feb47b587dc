import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import {
  IDocumentManager,
  IDocumentWidgetOpener
} from '@jupyterlab/docmanager';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The drive must exist before the layout restorer reopens its documents.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addArtifactsDrive } from './artifacts/drive';
import { CommandIDs } from './commandIds';
// The deployment command must exist when the layout restorer replays it.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addDeploymentCommands } from './deployments/commands';
import { MLOpsEvents } from './events';
// The sidebar's and the feature views' snippet buttons execute this command.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addFeatureCommands } from './features/commands';
// The log command must exist when the layout restorer replays it.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addJobCommands, revealSection } from './jobs/commands';
import { MLOpsSettings } from './settings';
// The sidebar is added to the shell during activation, so a lazy import
// would only delay it.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { MLOpsSidebar } from './sidebar';
// The view commands must exist when the layout restorer replays them.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addViewCommands, createViewTrackers } from './views/commands';

const PLUGIN_ID = 'jupyter-mlops:plugin';

// Neither command takes arguments.
const NO_ARGS = { args: { type: 'object' as const, properties: {} } };

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'MLOps sidebar: project status, features, runs, models, deployments and jobs.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ISettingRegistry,
    ICommandPalette,
    ITranslator,
    IRenderMimeRegistry,
    IDocumentManager,
    IDocumentWidgetOpener,
    IFileBrowserFactory,
    INotebookTracker
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    registry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    rendermime: IRenderMimeRegistry | null,
    docManager: IDocumentManager | null,
    opener: IDocumentWidgetOpener | null,
    fileBrowserFactory: IFileBrowserFactory | null,
    notebookTracker: INotebookTracker | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_mlops');
    const settings = new MLOpsSettings();
    if (registry) {
      void settings.connect(registry, PLUGIN_ID);
    }

    // Run artifacts open read-only as `mlops-artifacts:<runId>/<path>`.
    addArtifactsDrive(app.serviceManager.contents, {
      serverSettings: app.serviceManager.serverSettings,
      docRegistry: app.docRegistry,
      trans,
      opener
    });

    const events = new MLOpsEvents();
    addViewCommands(app, {
      trackers: createViewTrackers(),
      rendermime,
      docManager,
      restorer,
      events,
      trans
    });

    addFeatureCommands(app, { notebookTracker, trans });

    const sidebar = new MLOpsSidebar({
      serverSettings: app.serviceManager.serverSettings,
      settings,
      trans,
      commands: app.commands,
      events
    });
    app.shell.add(sidebar, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
    addDeploymentCommands(app, { sidebar, rendermime, restorer, trans });

    addJobCommands(app, {
      events,
      status: sidebar.statusModel,
      showJobs: () => revealSection(app, sidebar, 'jobs'),
      fileBrowserFactory,
      notebookTracker,
      restorer,
      palette,
      trans
    });

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Open MLOps Sidebar'),
      describedBy: NO_ARGS,
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh MLOps Status'),
      describedBy: NO_ARGS,
      execute: () => sidebar.statusModel.refresh()
    });
    if (palette) {
      const category = trans.__('MLOps');
      palette.addItem({ command: CommandIDs.open, category });
      palette.addItem({ command: CommandIDs.refresh, category });
    }
  }
};

export default plugin;
