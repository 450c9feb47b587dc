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
