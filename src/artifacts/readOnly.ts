import { IDocumentWidget } from '@jupyterlab/docregistry';
import type { Notebook } from '@jupyterlab/notebook';

/** Added to every document widget shown read-only by this extension. */
export const READ_ONLY_CLASS = 'jp-mlops-read-only';

const locked = new WeakSet<IDocumentWidget>();

function isNotebook(content: unknown): content is Notebook {
  const notebook = content as Partial<Notebook> | null;
  return !!notebook && Array.isArray(notebook.widgets) && !!notebook.model;
}

/** The part of a CodeEditor.IEditor used here. */
interface IOptionEditor {
  setOption(option: string, value: unknown): void;
}

function editorOf(content: unknown): IOptionEditor | null {
  const editor = (content as { editor?: Partial<IOptionEditor> } | null)
    ?.editor;
  return editor && typeof editor.setOption === 'function'
    ? (editor as IOptionEditor)
    : null;
}

function lockContent(widget: IDocumentWidget): void {
  const model = widget.context.model;
  model.readOnly = true;
  // Lab normalises some notebooks on load, which marks them dirty: a dirty
  // copy would prompt on close (and offer to save it somewhere).
  model.dirty = false;
  model.stateChanged.connect((sender, change) => {
    if (change.name === 'dirty' && change.newValue) {
      sender.dirty = false;
    }
  }, widget);
  const content = widget.content;
  if (isNotebook(content) && content.model) {
    // `model.readOnly` makes Lab treat the document as read-only, but a
    // notebook still lets cells be edited: lock every cell's editor too,
    // including cells added later. The notebook builds cell widgets in its
    // own handler, connected before this one, so they exist when it runs.
    const lock = () => {
      for (const cell of content.widgets) {
        cell.readOnly = true;
      }
    };
    lock();
    content.model.cells.changed.connect(lock, widget);
    return;
  }
  // A text editor (file editor, JSON, Python...).
  editorOf(content)?.setOption('readOnly', true);
}

/**
 * Show a document read-only and never start a kernel for it.
 *
 * Call it as soon as the widget exists (before its context has loaded, as
 * the document opener's `opened` signal does): the kernel preference is
 * read when the context loads. Calling it again for the same widget does
 * nothing. Saving is refused by the drive itself; this spares the user
 * edits that could not be kept.
 */
export function makeReadOnly(widget: IDocumentWidget): void {
  if (locked.has(widget) || widget.isDisposed) {
    return;
  }
  locked.add(widget);
  widget.addClass(READ_ONLY_CLASS);
  const session = widget.context.sessionContext;
  // A snapshot or a job's output is for reading: no kernel starts, and no
  // kernel picker pops up for a notebook without kernelspec. The user can
  // still pick one.
  session.kernelPreference = {
    ...session.kernelPreference,
    shouldStart: false,
    autoStartDefault: false
  };
  widget.context.ready
    .then(() => {
      if (!widget.isDisposed) {
        lockContent(widget);
      }
    })
    .catch(() => {
      // A load error is reported by the document manager, which closes the tab.
    });
}
