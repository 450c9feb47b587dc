import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  ToolbarButton,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { AccordionPanel } from '@lumino/widgets';

import { CommandIDs } from '../commandIds';
import { MLOpsEvents } from '../events';
import { mlopsIcon } from '../icon';
import { StatusModel } from '../status';
import { JobFormView } from './JobForm';
import { JobLogView } from './LogView';

/** The file browser's notebook rows, where "Create Training Job" shows. */
export const NOTEBOOK_ITEM_SELECTOR =
  '.jp-DirListing-item[data-file-type="notebook"]';
export const JOB_FORM_ID = 'jp-mlops-job-form';

export function jobLogId(executionId: string): string {
  return `jp-mlops-job-log-${executionId}`;
}

/** Trackers for the job views; they live as long as the application. */
function createJobTrackers(): {
  forms: WidgetTracker<MainAreaWidget<JobFormView>>;
  logs: WidgetTracker<MainAreaWidget<JobLogView>>;
} {
  return {
    forms: new WidgetTracker({ namespace: 'jupyter-mlops-job-form' }),
    logs: new WidgetTracker({ namespace: 'jupyter-mlops-job-log' })
  };
}

export interface IJobCommandOptions {
  events: MLOpsEvents;
  /** Show the sidebar with its Jobs section expanded. */
  showJobs(): void;
  /** The sidebar's status: what the job executor can do. */
  status: StatusModel;
  fileBrowserFactory: IFileBrowserFactory | null;
  notebookTracker: INotebookTracker | null;
  restorer: ILayoutRestorer | null;
  palette: ICommandPalette | null;
  trans: TranslationBundle;
}

/**
 * The job commands: create a training job from a notebook (file browser
 * context menu, notebook toolbar, palette), show the Jobs section, and an
 * execution's log in the main area.
 */
export function addJobCommands(
  app: JupyterFrontEnd,
  options: IJobCommandOptions
): void {
  const {
    events,
    status,
    fileBrowserFactory,
    notebookTracker,
    restorer,
    trans
  } = options;
  const serverSettings = app.serviceManager.serverSettings;
  const { forms, logs } = createJobTrackers();

  const selectedNotebook = (): string | null => {
    const browser = fileBrowserFactory?.tracker.currentWidget;
    if (!browser) {
      return null;
    }
    for (const item of browser.selectedItems()) {
      if (item.type === 'notebook') {
        return item.path;
      }
    }
    return null;
  };
  const currentNotebook = (): string | null => {
    const current = notebookTracker?.currentWidget;
    return current && app.shell.currentWidget === current
      ? current.context.path
      : null;
  };
  const notebookFor = (args: Record<string, unknown>): string | null => {
    if (typeof args.path === 'string' && args.path) {
      return args.path;
    }
    if (args.fromFileBrowser) {
      return selectedNotebook();
    }
    return currentNotebook() ?? selectedNotebook();
  };

  app.commands.addCommand(CommandIDs.createJob, {
    label: trans.__('Create Training Job'),
    caption: trans.__(
      'Run this notebook as a training job, with parameters, GPUs and a schedule'
    ),
    icon: mlopsIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: trans.__('The notebook, relative to the server root')
          },
          fromFileBrowser: {
            type: 'boolean',
            description: trans.__("Use the file browser's selected notebook")
          }
        }
      }
    },
    isEnabled: args => notebookFor(args) !== null,
    execute: args => {
      const notebook = notebookFor(args);
      if (notebook === null) {
        return;
      }
      const existing = forms.find(widget => widget.id === JOB_FORM_ID);
      if (existing && existing.content.notebook === notebook) {
        app.shell.activateById(JOB_FORM_ID);
        return existing;
      }
      existing?.dispose();
      const content = new JobFormView({
        notebook,
        serverSettings,
        kernelspecs: app.serviceManager.kernelspecs,
        status,
        onSubmitted: submission => {
          events.notifyJobSubmitted(submission);
          void app.commands.execute(CommandIDs.openJobs);
        },
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = JOB_FORM_ID;
      widget.addClass('jp-mlops-view');
      widget.title.closable = true;
      void forms.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  app.commands.addCommand(CommandIDs.openJobs, {
    label: trans.__('Show MLOps Jobs'),
    describedBy: { args: { type: 'object', properties: {} } },
    execute: () => options.showJobs()
  });

  app.commands.addCommand(CommandIDs.openJobLog, {
    label: trans.__('Show Job Log'),
    describedBy: {
      args: {
        type: 'object',
        properties: { executionId: { type: 'string' } },
        required: ['executionId']
      }
    },
    execute: args => {
      const executionId = String(args.executionId ?? '');
      const id = jobLogId(executionId);
      const existing = logs.find(widget => widget.id === id);
      if (existing) {
        app.shell.activateById(id);
        return existing;
      }
      const content = new JobLogView({
        executionId,
        serverSettings,
        status,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.addClass('jp-mlops-view');
      widget.title.closable = true;
      void logs.add(widget);
      app.shell.add(widget, 'main');
      return widget;
    }
  });

  app.contextMenu.addItem({
    command: CommandIDs.createJob,
    args: { fromFileBrowser: true },
    selector: NOTEBOOK_ITEM_SELECTOR,
    rank: 60
  });

  app.docRegistry.addWidgetExtension('Notebook', {
    createNew: (panel: NotebookPanel): IDisposable => {
      const button = new ToolbarButton({
        className: 'jp-mlops-create-job-button',
        icon: mlopsIcon,
        tooltip: trans.__('Create a training job from this notebook'),
        onClick: () =>
          void app.commands.execute(CommandIDs.createJob, {
            path: panel.context.path
          })
      });
      // After the run and cell type controls (or last, when fewer).
      panel.toolbar.insertItem(10, 'mlops-create-job', button);
      return new DisposableDelegate(() => button.dispose());
    }
  });

  if (options.palette) {
    const category = trans.__('MLOps');
    options.palette.addItem({ command: CommandIDs.createJob, category });
    options.palette.addItem({ command: CommandIDs.openJobs, category });
  }

  if (restorer) {
    void restorer.restore(logs, {
      command: CommandIDs.openJobLog,
      args: widget => ({ executionId: widget.content.executionId }),
      name: widget => widget.content.executionId
    });
  }
}

/** The least share of the sidebar's height a revealed section gets. */
const MIN_REVEALED_SHARE = 0.4;

/**
 * Show the sidebar with one of its sections expanded and scrolled to.
 */
export function revealSection(
  app: JupyterFrontEnd,
  sidebar: SidePanel,
  sectionId: string
): void {
  app.shell.activateById(sidebar.id);
  const accordion = sidebar.content as AccordionPanel;
  const index = accordion.widgets.findIndex(
    widget => widget.id === `jp-mlops-section-${sectionId}`
  );
  if (index < 0) {
    return;
  }
  accordion.expand(index);
  // Give a squeezed section a usable share of the sidebar's height.
  const sizes = accordion.relativeSizes();
  if (sizes[index] < MIN_REVEALED_SHARE) {
    const scale = (1 - MIN_REVEALED_SHARE) / (1 - sizes[index] || 1);
    accordion.setRelativeSizes(
      sizes.map((size, i) => (i === index ? MIN_REVEALED_SHARE : size * scale))
    );
  }
  accordion.widgets[index].node.scrollIntoView?.({ block: 'nearest' });
}
