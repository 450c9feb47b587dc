import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  Notebook,
  NotebookActions
} from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { getFeatureSnippet } from '../api';
import { CommandIDs } from '../commandIds';

/** Where `insertFeatureSnippet` put the code. */
export type SnippetResult =
  { target: 'notebook'; path: string } | { target: 'clipboard' };

/**
 * Put `code` in the notebook's active cell when it is an empty code cell,
 * else in a new code cell below it: never over code already written.
 */
export function insertIntoNotebook(notebook: Notebook, code: string): void {
  const active = notebook.activeCell;
  const reusable =
    active !== null &&
    active.model.type === 'code' &&
    active.model.sharedModel.getSource().trim() === '';
  if (!reusable) {
    NotebookActions.insertBelow(notebook);
    NotebookActions.changeCellType(notebook, 'code');
  }
  const cell = notebook.activeCell;
  if (cell === null) {
    return;
  }
  cell.model.sharedModel.setSource(code);
  void notebook.scrollToCell(cell);
}

/**
 * The command that fetches a view's or service's training-set snippet and
 * inserts it into the current notebook; without one, it copies the code to
 * the clipboard. Either way it resolves to where the code went.
 */
export function addFeatureCommands(
  app: JupyterFrontEnd,
  options: {
    notebookTracker: INotebookTracker | null;
    trans: TranslationBundle;
  }
): void {
  const { notebookTracker, trans } = options;
  const serverSettings = app.serviceManager.serverSettings;

  app.commands.addCommand(CommandIDs.insertFeatureSnippet, {
    label: trans.__('Insert Training-Set Snippet'),
    caption: trans.__(
      'Insert code that builds a training set from these features into the current notebook'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
            description: trans.__('A feature view or feature service')
          }
        },
        required: ['name']
      }
    },
    execute: async (args): Promise<SnippetResult> => {
      const code = await getFeatureSnippet(
        String(args.name ?? ''),
        serverSettings
      );
      // The tracker keeps the last notebook focused, also while the user
      // clicks in the sidebar or in a feature view.
      const panel = notebookTracker?.currentWidget ?? null;
      if (panel === null || panel.isDisposed) {
        Clipboard.copyToSystem(code);
        return { target: 'clipboard' };
      }
      insertIntoNotebook(panel.content, code);
      app.shell.activateById(panel.id);
      return { target: 'notebook', path: panel.context.path };
    }
  });
}
