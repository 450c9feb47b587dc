import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * The user settings of `schema/plugin.json`, kept in step with the
 * setting registry so panels read one object instead of each loading it.
 */
export interface IMLOpsConfig {
  /** Seconds between status refreshes. */
  refreshInterval: number;
  /** Experiment preselected by panels that log or list runs. */
  defaultExperiment: string;
}

export const DEFAULT_CONFIG: IMLOpsConfig = {
  refreshInterval: 10,
  defaultExperiment: 'Default'
};

export class MLOpsSettings {
  get config(): IMLOpsConfig {
    return this._config;
  }

  /**
   * Emits the new config whenever the user changes a setting.
   */
  get changed(): ISignal<this, IMLOpsConfig> {
    return this._changed;
  }

  /**
   * Follow the registry's settings for `pluginId`.
   *
   * Failure is logged, not thrown: the sidebar stays useful on defaults.
   */
  async connect(registry: ISettingRegistry, pluginId: string): Promise<void> {
    try {
      const settings = await registry.load(pluginId);
      this._update(settings);
      settings.changed.connect(this._update, this);
    } catch (reason) {
      console.error(`Failed to load settings for ${pluginId}.`, reason);
    }
  }

  private _update(settings: ISettingRegistry.ISettings): void {
    const composite = settings.composite as Partial<IMLOpsConfig>;
    const interval = Number(composite.refreshInterval);
    const next: IMLOpsConfig = {
      // The schema enforces the minimum, but a hand-edited file can still hold junk.
      refreshInterval:
        Number.isFinite(interval) && interval >= 1
          ? interval
          : DEFAULT_CONFIG.refreshInterval,
      defaultExperiment:
        typeof composite.defaultExperiment === 'string' &&
        composite.defaultExperiment !== ''
          ? composite.defaultExperiment
          : DEFAULT_CONFIG.defaultExperiment
    };
    if (
      next.refreshInterval === this._config.refreshInterval &&
      next.defaultExperiment === this._config.defaultExperiment
    ) {
      return;
    }
    this._config = next;
    this._changed.emit(next);
  }

  private _config: IMLOpsConfig = { ...DEFAULT_CONFIG };
  private _changed = new Signal<this, IMLOpsConfig>(this);
}
