import { ISignal, Signal } from '@lumino/signaling';

import type { IJobSubmission } from './api';

/**
 * Changes one view makes that another shows: registering a model from a
 * run view must refresh the Models section, which holds no reference to it.
 */
export class MLOpsEvents {
  /** Emitted after a model version, alias or tag changed. */
  get modelsChanged(): ISignal<this, void> {
    return this._modelsChanged;
  }

  notifyModelsChanged(): void {
    this._modelsChanged.emit();
  }

  /** Emitted with what a job form or a re-run created. */
  get jobSubmitted(): ISignal<this, IJobSubmission> {
    return this._jobSubmitted;
  }

  notifyJobSubmitted(submission: IJobSubmission): void {
    this._jobSubmitted.emit(submission);
  }

  private _modelsChanged = new Signal<this, void>(this);
  private _jobSubmitted = new Signal<this, IJobSubmission>(this);
}
