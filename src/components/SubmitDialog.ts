import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

/** A dialog body that submits itself: false (its refusal shown) if refused. */
export interface ISubmittingBody extends Widget {
  submit(): Promise<boolean>;
}

/**
 * A dialog whose OK button submits its body and closes only once the server
 * accepted it; a refusal stays on screen, in the dialog, for the user to fix.
 */
export class SubmitDialog extends Dialog<void> {
  constructor(options: {
    title: string;
    body: ISubmittingBody;
    cancelLabel: string;
    okLabel: string;
    focusNodeSelector?: string;
  }) {
    super({
      title: options.title,
      body: options.body,
      buttons: [
        Dialog.cancelButton({ label: options.cancelLabel }),
        Dialog.okButton({ label: options.okLabel })
      ],
      focusNodeSelector: options.focusNodeSelector
    });
    this._submitting = options.body;
  }

  resolve(index?: number): void {
    // Index 1 (or the default button, Enter) is OK; anything else cancels.
    if (index !== undefined && index !== 1) {
      super.resolve(index);
      return;
    }
    if (this._busy) {
      return;
    }
    this._busy = true;
    void this._submitting.submit().then(accepted => {
      this._busy = false;
      if (accepted && !this.isDisposed) {
        super.resolve(1);
      }
    });
  }

  private _submitting: ISubmittingBody;
  private _busy = false;
}

/** A server's refusal as a submitting dialog body keeps it. */
export interface IRefusal {
  message: string;
  field: string | null;
}

/** The refusal of a rejected request: its message, and the field it names. */
export function refusalOf(reason: unknown, message: string): IRefusal {
  const field = (reason as { field?: string | null } | null)?.field;
  return { message, field: typeof field === 'string' ? field : null };
}

/** An input's classes: marked invalid when the refusal names its field. */
export function inputClass(refusal: IRefusal | null, field: string): string {
  const named =
    refusal?.field === field || refusal?.field?.startsWith(`${field}.`);
  return named ? 'jp-mod-styled jp-mlops-deploy-invalid' : 'jp-mod-styled';
}

/** The refusal's text: prefixed with its field unless the message names it. */
export function refusalText(refusal: IRefusal): string {
  return refusal.field && !refusal.message.startsWith(`${refusal.field}:`)
    ? `${refusal.field}: ${refusal.message}`
    : refusal.message;
}
