import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import type { Notebook } from '@jupyterlab/notebook';

/**
 * Reject, with the contents service's message, when Lab cannot open
 * `path`; otherwise a missing file opens an empty tab that never loads.
 *
 * The common cause is a snapshot under a hidden folder (the default
 * `.mlops/` home): the contents API serves none without
 * `ContentsManager.allow_hidden`.
 */
export async function checkOpenable(
  docManager: IDocumentManager,
  path: string
): Promise<void> {
  await docManager.services.contents.get(path, { content: false });
}

function isNotebook(content: unknown): content is Notebook {
  const notebook = content as Partial<Notebook> | null;
  return !!notebook && Array.isArray(notebook.widgets) && !!notebook.model;
}

/**
 * Open a run's notebook snapshot, read-only as far as the document model
 * allows.
 *
 * `model.readOnly` makes Lab treat the document as read-only (no dirty
 * marker, "Read-only" in the tab caption, no search-and-replace), but a
 * notebook still lets cells be edited; so every cell's editor is made
 * read-only too, including cells added later, and the model is kept
 * clean so autosave never writes it. An explicit save is not blocked:
 * that is the file's permissions' job, on the server (a read-only file
 * also spares the run's artifacts Lab's `.ipynb_checkpoints`).
 */
export async function openSnapshot(
  docManager: IDocumentManager,
  path: string
): Promise<IDocumentWidget | undefined> {
  await checkOpenable(docManager, path);
  const widget = docManager.openOrReveal(path);
  if (!widget) {
    return undefined;
  }
  // Set before the context loads, which keeps it: a snapshot is for
  // reading, so no kernel starts (and no kernel picker pops up for a
  // snapshot without kernelspec). The user can still pick one.
  const session = widget.context.sessionContext;
  session.kernelPreference = {
    ...session.kernelPreference,
    shouldStart: false,
    autoStartDefault: false
  };
  await widget.context.ready;
  const model = widget.context.model;
  model.readOnly = true;
  // Lab normalises some notebooks on load, which marks them dirty: a
  // dirty snapshot would be written back by autosave and prompt on close.
  model.dirty = false;
  model.stateChanged.connect((sender, change) => {
    if (change.name === 'dirty' && change.newValue) {
      sender.dirty = false;
    }
  }, widget);
  widget.addClass('jp-mlops-snapshot');
  const content = widget.content;
  if (isNotebook(content) && content.model) {
    const lock = () => {
      for (const cell of content.widgets) {
        cell.readOnly = true;
      }
    };
    lock();
    // The notebook builds cell widgets in its own handler, connected
    // before this one, so the new cells exist by the time this runs.
    content.model.cells.changed.connect(lock, widget);
  }
  return widget;
}
