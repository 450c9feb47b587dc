import { ISignal, Signal } from '@lumino/signaling';

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

  private _modelsChanged = new Signal<this, void>(this);
}
